package command

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzSpec has every kind of option the tables declare.
var fuzzSpec = &Spec{Name: "t", GNU: true, Options: []Option{
	{Short: 'a', Long: "append"},
	{Short: 'm', Long: "mode", Arg: RequiredArg, ArgName: "MODE"},
	{Long: "output-error", Arg: OptionalArg, ArgName: "MODE", Values: []string{"warn", "warn-nopipe", "exit", "exit-nopipe"}},
	{Long: "output-extra"},
	{Short: 'p'},
	{Long: "wait", Arg: RequiredArg, ArgName: "DURATION"},
	{Long: "sddl", Arg: RequiredArg, ArgName: "S", OS: "plan9"},
}}

// FuzzParse: the GNU option parser, given any command line (words split
// at NUL), never panics, keeps the operands in order, and fails only with
// a one-line usage error.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"-am600\x00x", "--mo=1\x00--", "--output-error\x00--output\x00-", "-p\x00--\x00-a",
		"--output-error=warn-\x00f", "--help\x00--bogus", "-\x00--=x", "--wait\x00", "--sddl=x", "-mm", "--a=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Split(line, "\x00")
		p, err := Parse(fuzzSpec, args)
		if err != nil {
			var ue *UsageError
			if !errors.As(err, &ue) && !strings.Contains(err.Error(), " only") {
				t.Fatalf("%q: %T %v", args, err, err)
			}
			// As gopipe's own commands report it: on one line (GNU's
			// print what the user typed raw, as GNU's getopt does).
			var out strings.Builder
			e := NewEnv(t.Context(), nil, nil, &out).Enter(&Spec{Name: "t"}, "gopipe t")
			e.Usage(err)
			if n := strings.Count(out.String(), "\n"); n != 2 {
				t.Fatalf("%q: %d lines: %q", args, n, out.String())
			}
			return
		}
		// The operands come in order, each an argument given.
		j := 0
		for _, op := range p.Operands {
			for j < len(args) && args[j] != op {
				j++
			}
			if j == len(args) {
				t.Fatalf("%q: operand %q out of order or made up: %q", args, op, p.Operands)
			}
			j++
		}
		for _, o := range p.Opts {
			if o.Values != nil && o.HasValue {
				found := false
				for _, v := range o.Values {
					found = found || v == o.Value
				}
				if !found {
					t.Fatalf("%q: --%s=%q is not one of its values", args, o.Long, o.Value)
				}
			}
			if o.Long == "wait" {
				if d, err := o.Duration(); err == nil && d < 0 {
					t.Fatalf("%q: negative duration %v", args, d)
				} else if err != nil && strings.Contains(err.Error(), "\n") {
					t.Fatalf("%q: message on more lines: %q", args, err)
				}
			}
		}
	})
}

// FuzzQuote: the message quoting never panics, and never lets a control
// character or invalid UTF-8 through raw, which would break a message's
// one line or the terminal.
func FuzzQuote(f *testing.F) {
	for _, s := range []string{"a", "a b", "a'b", `a"b`, "a\nb", "\x01x", "ü", "'x", "tab\tit", "\xff", "", "-", "~x", "#x", "a:b", "\\"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for name, q := range map[string]func(string) string{"Quote": Quote, "Quotef": Quotef, "LocaleQuote": LocaleQuote} {
			out := q(s)
			if !utf8.ValidString(out) {
				t.Fatalf("%s(%q) = %q: invalid UTF-8", name, s, out)
			}
			for _, r := range out {
				if r < 0x20 || r == 0x7f {
					t.Fatalf("%s(%q) = %q: a raw control character", name, s, out)
				}
			}
		}
	})
}

// FuzzDuration: --wait and --grace values never panic, are never
// negative, and are refused in one line naming the option.
func FuzzDuration(f *testing.F) {
	for _, s := range []string{"10s", "1h2m", "-1s", "0", "soon", "", "1e9s", "9223372036854775807ns", "1.5µs", ".s"} {
		f.Add(s)
	}
	opt := &Option{Long: "wait", Arg: RequiredArg}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Opt{Option: opt, Value: s, HasValue: true}.Duration()
		switch {
		case err == nil && d < 0:
			t.Fatalf("%q: negative %v", s, d)
		case err != nil && (!strings.HasPrefix(err.Error(), "invalid --wait ") || strings.ContainsAny(err.Error(), "\n\r")):
			t.Fatalf("%q: message %q", s, err)
		}
	})
}
