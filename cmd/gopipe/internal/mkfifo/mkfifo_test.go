package mkfifo

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command"
	"github.com/gopipe/gopipe/cmd/gopipe/internal/command/commandtest"
)

func TestMkfifoInProcess(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows FIFOs need a holder process")
	}
	name := filepath.Join(commandtest.TempDir(t), "f")
	if status, _, stderr := commandtest.Run(t, Mkfifo, "", name, "-m", "640"); status != 0 {
		t.Fatalf("%d %s", status, stderr)
	}
	fi, err := os.Lstat(name)
	if err != nil || fi.Mode().Type() != fs.ModeNamedPipe || fi.Mode().Perm() != 0o640 {
		t.Fatalf("%v %v", fi.Mode(), err)
	}
	status, _, stderr := commandtest.Run(t, Mkfifo, "", name)
	if status != 1 || stderr != "mkfifo: cannot create fifo "+command.Quote(name)+": File exists\n" {
		t.Fatalf("%d %q", status, stderr)
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
