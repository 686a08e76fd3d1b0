package main

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// runT runs the program in process and returns its status and output.
func runT(t *testing.T, stdin string, args ...string) (status int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	status = run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return status, out.String(), errb.String()
}

func TestDispatchByName(t *testing.T) {
	dir := tempDir(t)
	for _, arg0 := range []string{"mkfifo", "/usr/local/bin/mkfifo", "-mkfifo", `C:\bin\mkfifo.exe`} {
		// --help shows that the name reached mkfifo, on any OS.
		if status, stdout, stderr := runT(t, "", arg0, "--help"); status != 0 || !strings.Contains(stdout, "Create named pipes") {
			t.Errorf("%s: status %d: %s", arg0, status, stderr)
		}
	}
	if runtime.GOOS != "windows" {
		name := filepath.Join(dir, "f")
		if status, _, stderr := runT(t, "", "/usr/local/bin/mkfifo", name); status != 0 {
			t.Errorf("mkfifo %s: status %d: %s", name, status, stderr)
		}
	}
	if runtime.GOOS == "windows" {
		if status, _, stderr := runT(t, "", `C:\bin\MKFIFO.EXE`, "--help"); status != 0 {
			t.Errorf("MKFIFO.EXE: %d %s", status, stderr)
		}
	}
	status, _, stderr := runT(t, "", "frobnicate", "x")
	if status != 127 || stderr != "frobnicate: applet not found\n" {
		t.Errorf("unknown applet: %d %q", status, stderr)
	}
	status, _, stderr = runT(t, "", "gopipe", "frobnicate")
	if status != 127 || !strings.Contains(stderr, "frobnicate: applet not found") {
		t.Errorf("unknown command: %d %q", status, stderr)
	}
}

func TestList(t *testing.T) {
	status, stdout, _ := runT(t, "", "gopipe", "--list")
	if status != 0 || !strings.Contains(stdout, "mkfifo\n") || !strings.Contains(stdout, "pipecat\n") {
		t.Fatalf("--list: %d %q", status, stdout)
	}
}

func TestUsageErrorOfGopipe(t *testing.T) {
	status, _, stderr := runT(t, "", "gopipe", "--bogus")
	if status != 2 || !strings.HasPrefix(stderr, "gopipe: ") {
		t.Fatalf("gopipe --bogus: %d %q", status, stderr)
	}
}

func TestInstall(t *testing.T) {
	dir := tempDir(t)
	if status, _, stderr := runT(t, "", "gopipe", "--install", dir); status != 0 {
		t.Fatalf("--install: %d %s", status, stderr)
	}
	exe := ""
	if runtime.GOOS == "windows" {
		exe = ".exe"
	}
	for _, c := range commands {
		if _, err := os.Stat(filepath.Join(dir, c.name+exe)); err != nil {
			t.Errorf("%s not installed: %v", c.name, err)
		}
	}
	// Installing again over our own links is fine. (Wine gives hard links
	// different file ids, so os.SameFile cannot see them there.)
	if runtime.GOOS == "windows" {
		return
	}
	if status, _, stderr := runT(t, "", "gopipe", "--install", dir); status != 0 {
		t.Fatalf("second --install: %d %s", status, stderr)
	}
	if status, _, _ := runT(t, "", "gopipe", "--install"); status != 2 {
		t.Errorf("--install without DIR: status %d, want 2", status)
	}
}

func TestMkfifoInProcess(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows FIFOs need a holder process")
	}
	name := filepath.Join(tempDir(t), "f")
	if status, _, stderr := runT(t, "", "gopipe", "mkfifo", name, "-m", "640"); status != 0 {
		t.Fatalf("%d %s", status, stderr)
	}
	fi, err := os.Lstat(name)
	if err != nil || fi.Mode().Type() != fs.ModeNamedPipe || fi.Mode().Perm() != 0o640 {
		t.Fatalf("%v %v", fi.Mode(), err)
	}
	status, _, stderr := runT(t, "", "gopipe", "mkfifo", name)
	if status != 1 || stderr != "mkfifo: cannot create fifo "+quote(name)+": File exists\n" {
		t.Fatalf("%d %q", status, stderr)
	}
}

func TestGetopt(t *testing.T) {
	specs := []optSpec{
		{short: 'a', long: "append"},
		{short: 'i', long: "ignore-interrupts"},
		{short: 'm', long: "mode", arg: requiredArg},
		{long: "output-error", arg: optionalArg},
		{long: "output-extra"},
	}
	render := func(opts []option, ops []string) string {
		var b strings.Builder
		for _, o := range opts {
			b.WriteString("[" + o.key())
			if o.hasValue {
				b.WriteString("=" + o.value)
			}
			b.WriteString("]")
		}
		return b.String() + " " + strings.Join(ops, ",")
	}
	for _, tc := range []struct {
		args []string
		want string
		err  string
	}{
		{args: []string{"x", "-ai", "y"}, want: "[append][ignore-interrupts] x,y"},
		{args: []string{"-m600", "x", "-m", "700", "--mode=1", "--mo", "2"}, want: "[mode=600][mode=700][mode=1][mode=2] x"},
		{args: []string{"--", "-a", "--mode"}, want: " -a,--mode"},
		{args: []string{"-", "x"}, want: " -,x"},
		{args: []string{"--output-error", "f"}, want: "[output-error] f"},
		{args: []string{"--output-error=warn", "f"}, want: "[output-error=warn] f"},
		{args: []string{"--output-err", "f"}, want: "[output-error] f"},
		{args: []string{"--output"}, err: "option '--output' is ambiguous; possibilities: '--output-error' '--output-extra'"},
		{args: []string{"-q"}, err: "invalid option -- 'q'"},
		{args: []string{"-m"}, err: "option requires an argument -- 'm'"},
		{args: []string{"--mode"}, err: "option '--mode' requires an argument"},
		{args: []string{"--append=x"}, err: "option '--append' doesn't allow an argument"},
		{args: []string{"--nope"}, err: "unrecognized option '--nope'"},
	} {
		opts, ops, err := getopt(tc.args, specs)
		var ue *usageError
		switch {
		case tc.err != "":
			if !errors.As(err, &ue) || err.Error() != tc.err {
				t.Errorf("%q: error %v, want %q", tc.args, err, tc.err)
			}
		case err != nil:
			t.Errorf("%q: %v", tc.args, err)
		case render(opts, ops) != tc.want:
			t.Errorf("%q: %q, want %q", tc.args, render(opts, ops), tc.want)
		}
	}
	t.Setenv("POSIXLY_CORRECT", "1")
	opts, ops, _ := getopt([]string{"-a", "x", "-i"}, specs)
	if got := render(opts, ops); got != "[append] x,-i" {
		t.Errorf("POSIXLY_CORRECT: %q", got)
	}
}

func TestQuote(t *testing.T) {
	// What GNU coreutils 9.1 prints for these names.
	for in, want := range map[string]string{
		"a":       "'a'",
		"a b":     "'a b'",
		"a'b":     `"a'b"`,
		`a"b`:     `'a"b'`,
		"a'b!":    `'a'\''b!'`,
		"a\nb":    `'a'$'\n''b'`,
		"\x01x":   `''$'\001''x'`,
		"a'b\"c":  `'a'\''b"c'`,
		"ü":       "'ü'",
		"'x":      `"'x"`,
		"tab\tit": `'tab'$'\t''it'`,
	} {
		if got := quote(in); got != want {
			t.Errorf("quote(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestFifoMode(t *testing.T) {
	for _, tc := range []struct {
		spec  string
		umask uint32
		want  fs.FileMode
		bad   bool
	}{
		{spec: "600", want: 0o600},
		{spec: "u=rw,go=", umask: 0o022, want: 0o600},
		{spec: "+x", umask: 0o027, want: 0o776},
		{spec: "-w", umask: 0o027, want: 0o466},
		{spec: "4755", want: 0o4755},
		{spec: "a=r", umask: 0o777, want: 0o444},
		{spec: "=r", umask: 0o022, want: 0o444},
		{spec: "g=u", want: 0o666},
		{spec: "u=rwx,g=u", want: 0o776},
		{spec: "+X", want: 0o666},
		{spec: "u+x,+X", umask: 0o022, want: 0o777},
		{spec: "8", bad: true},
		{spec: "u=rwz", bad: true},
		{spec: "", bad: true},
		{spec: "u", bad: true},
		{spec: "17777", bad: true},
	} {
		got, err := fifoMode(tc.spec, tc.umask)
		if tc.bad {
			if err == nil {
				t.Errorf("fifoMode(%q) = %o, want an error", tc.spec, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("fifoMode(%q, umask %03o) = %o, %v; want %o", tc.spec, tc.umask, got, err, tc.want)
		}
	}
}
