package remote

import (
	"errors"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]Name{
		"ssh://h/demo":                {Host: "h", Path: "demo"},
		"ssh://h//run/x.sock":         {Host: "h", Path: "/run/x.sock"},
		"ssh://me@h:2222/a%20b":       {User: "me", Host: "h", Port: "2222", Path: "a b"},
		"ssh://[::1]:22/x":            {Host: "::1", Port: "22", Path: "x"},
		"ssh://h/%3Fq%23f":            {Host: "h", Path: "?q#f"},
		"ssh://h/line%0Anext":         {Host: "h", Path: "line\nnext"},
		"ssh://h/C:%5Cpipes%5Cdemo":   {Host: "h", Path: `C:\pipes\demo`},
		"ssh://h/%5C%5C.%5Cpipe%5Cx":  {Host: "h", Path: `\\.\pipe\x`},
		"ssh://user.name@host.lan/ns": {User: "user.name", Host: "host.lan", Path: "ns"},
		"ssh://DOM%5Cuser@win-1/x":    {User: `DOM\user`, Host: "win-1", Path: "x"},
		"ssh://me%40corp@h_2/x":       {User: "me@corp", Host: "h_2", Path: "x"},
	} {
		got, err := Parse(in)
		want.URL = in
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{
		"ssh://h", "ssh://h/", "ssh:///x", "ssh://h/x?y", "ssh://h/x#y", "ssh://u:pw@h/x",
		"ssh://-oProxyCommand=x/y", "ssh://-l@h/x", "ssh://h:0/x", "ssh://h:99999/x", "ssh://h:ssh/x",
		"ssh://h/a%00b", "ssh:h/x", "ssh://h/-",
		"ssh://h;id/x", "ssh://h$(id)/x", "ssh://%24(id)@h/x", "ssh://a%27b@h/x", "ssh://h%60id%60/x", "ssh://a%20b@h/x",
	} {
		if n, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) = %+v, want an error", in, n)
		}
	}
}

func TestCommandLine(t *testing.T) {
	argv := func(w ...string) []string { return append([]string{"gopipe", "dial", "--"}, w...) }
	for _, c := range []struct {
		shell string
		words []string
		want  string // "" for refused
	}{
		{"", argv("demo"), "gopipe dial -- demo"},
		{"", argv("/run/x.sock"), "gopipe dial -- /run/x.sock"},
		{"", argv("a b"), `gopipe dial -- "a b"`},
		{"", argv(`C:\pipes\demo`), `gopipe dial -- "C:\pipes\demo"`},
		{"", argv(""), `gopipe dial -- ""`},
		{"cmd", argv("a b"), `gopipe dial -- "a b"`},
		{"", argv(`\\.\pipe\x`), ""},
		{"", argv(`trailing\`), ""},
		{"", argv("it's"), ""},
		{"", argv("x;y"), ""},
		{"", argv("$(id)"), ""},
		{"", argv("`id`"), ""},
		{"", argv("a\nb"), ""},
		{"", argv("x&y"), ""},
		{"", argv("%PATH%"), ""},
		{"", argv("!x!"), ""},
		{"cmd", argv("x|y"), ""},
		{"sh", argv("it's"), `'gopipe' 'dial' '--' 'it'\''s'`},
		{"sh", argv("$(id)"), `'gopipe' 'dial' '--' '$(id)'`},
		{"sh", argv("a\nb"), "'gopipe' 'dial' '--' 'a\nb'"},
		{"sh", argv("a\x00b"), ""},
	} {
		got, err := CommandLine(c.shell, c.words)
		switch {
		case c.want == "" && (err == nil || !errors.Is(err, ErrUnquotable)):
			t.Errorf("CommandLine(%q, %q) = %q, %v; want it refused", c.shell, c.words, got, err)
		case c.want != "" && (err != nil || got != c.want):
			t.Errorf("CommandLine(%q, %q) = %q, %v; want %q", c.shell, c.words, got, err, c.want)
		}
	}
}

// What CommandLine quotes for a POSIX shell, sh reads back word for word.
func TestCommandLineSh(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("needs sh")
	}
	words := []string{"a b", "it's", `"q"`, "$(id)", "`id`", "x;y", "a\nb", `back\slash`, "*", "~", "", "-n"}
	line, err := CommandLine("sh", append([]string{"printf", "[%s]"}, words...))
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("sh", "-c", line).Output()
	want := "[" + strings.Join(words, "][") + "]"
	if err != nil || string(out) != want {
		t.Fatalf("sh -c %q: %v, %q; want %q", line, err, out, want)
	}
	// And the portable quoting, with sh.
	words = []string{"a b", `C:\x y`, "/run/x.sock", "u@h:1", ""}
	line, err = CommandLine("", words)
	if err != nil {
		t.Fatal(err)
	}
	out, err = exec.Command("sh", "-c", "printf '[%s]' "+line).Output()
	if want := "[" + strings.Join(words, "][") + "]"; err != nil || string(out) != want {
		t.Fatalf("sh -c %q: %v, %q; want %q", line, err, out, want)
	}
}

func TestSSHArgs(t *testing.T) {
	n, _ := Parse("ssh://me@h:2222/x")
	got := strings.Join(sshArgs(n, Options{SSH: []string{"ssh", "-F", "cfg"}}, "gopipe dial -- x"), "|")
	if want := "ssh|-F|cfg|-T|-p|2222|-l|me|--|h|gopipe dial -- x"; got != want {
		t.Errorf("sshArgs = %s, want %s", got, want)
	}
}
