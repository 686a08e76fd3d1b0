package command

import (
	"errors"
	"strings"
	"testing"

	"github.com/gopipe/gopipe/internal/testenv"
)

func TestGetopt(t *testing.T) {
	specs := []Option{
		{Short: 'a', Long: "append"},
		{Short: 'i', Long: "ignore-interrupts"},
		{Short: 'm', Long: "mode", Arg: RequiredArg},
		{Long: "output-error", Arg: OptionalArg},
		{Long: "output-extra"},
	}
	render := func(p *Parsed) string {
		var b strings.Builder
		for _, o := range p.Opts {
			b.WriteString("[" + o.Key())
			if o.HasValue {
				b.WriteString("=" + o.Value)
			}
			b.WriteString("]")
		}
		return b.String() + " " + strings.Join(p.Operands, ",")
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
		p, err := getopt(tc.args, specs, false, nil)
		var ue *UsageError
		switch {
		case tc.err != "":
			if !errors.As(err, &ue) || err.Error() != tc.err {
				t.Errorf("%q: error %v, want %q", tc.args, err, tc.err)
			}
		case err != nil:
			t.Errorf("%q: %v", tc.args, err)
		case render(p) != tc.want:
			t.Errorf("%q: %q, want %q", tc.args, render(p), tc.want)
		}
	}
	t.Setenv("POSIXLY_CORRECT", "1")
	p, _ := getopt([]string{"-a", "x", "-i"}, specs, false, nil)
	if got := render(p); got != "[append] x,-i" {
		t.Errorf("POSIXLY_CORRECT: %q", got)
	}
}

func TestQuote(t *testing.T) {
	// What GNU coreutils 9.1 prints for these names, in the C locale
	// (where a byte past ASCII is no printable character) and in UTF-8.
	testenv.SetLocale(t, "C")
	for in, want := range map[string]string{
		"ü":    `''$'\303\274'`,
		"aü b": `'a'$'\303\274'' b'`,
	} {
		if got := Quote(in); got != want {
			t.Errorf("C locale: quote(%q) = %s, want %s", in, got, want)
		}
	}
	if got := Quotef("café"); got != `'caf'$'\303\251'` {
		t.Errorf("C locale: quotef(café) = %s", got)
	}
	testenv.SetLocale(t, "C.UTF-8")
	if got := Quotef("café"); got != "café" {
		t.Errorf("C.UTF-8: quotef(café) = %s", got)
	}
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
		if got := Quote(in); got != want {
			t.Errorf("quote(%q) = %s, want %s", in, got, want)
		}
	}
}

// Parse takes the options in order, as GNU's getopt loop does: --help
// stops it, so what follows is never looked at, and a bad value or option
// before it is an error.
func TestParseInOrder(t *testing.T) {
	testenv.SetLocale(t, "C")
	s := &Spec{Name: "t", Options: []Option{
		{Long: "output-error", Arg: OptionalArg, Values: []string{"warn", "warn-nopipe", "exit"}},
		{Long: "show-ends"}, {Long: "show-tabs"},
	}}
	for _, tc := range []struct {
		args       []string
		asked, err string
	}{
		{args: []string{"--help", "--bogus"}, asked: "help"},
		{args: []string{"--version", "--output-error=bogus"}, asked: "version"},
		{args: []string{"--bogus", "--help"}, err: "unrecognized option '--bogus'"},
		{args: []string{"--output-error=bogus", "--nosuch"}, err: "invalid argument 'bogus' for '--output-error'"},
		{args: []string{"--output-error=w"}, err: "ambiguous argument 'w' for '--output-error'"},
		{args: []string{"--show=x"}, err: "option '--show=x' is ambiguous; possibilities: '--show-ends' '--show-tabs'"},
	} {
		p, err := Parse(s, tc.args)
		switch {
		case tc.err != "":
			if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
				t.Errorf("%q: %v, want %q", tc.args, err, tc.err)
			}
		case err != nil || p.asked != tc.asked:
			t.Errorf("%q: %v, asked %q; want %q", tc.args, err, p.asked, tc.asked)
		}
	}
	p, err := Parse(s, []string{"--output-error=warn-"})
	if err != nil || p.Opts[0].Value != "warn-nopipe" {
		t.Errorf("an abbreviated value: %v, %+v", err, p)
	}
}

// LocaleQuote quotes as GNU's quote() does: curly quotes in a UTF-8
// locale, ASCII ones otherwise, C escapes for what is not printable.
func TestLocaleQuote(t *testing.T) {
	for _, tc := range []struct{ loc, in, want string }{
		{"C.UTF-8", "warn", "\u2018warn\u2019"},
		{"en_US.utf8", "x", "\u2018x\u2019"},
		{"C", "warn", "'warn'"},
		{"", "warn", "'warn'"},
		{"POSIX", "a\tb\\c", `'a\tb\\c'`},
	} {
		testenv.SetLocale(t, tc.loc)
		if got := LocaleQuote(tc.in); got != tc.want {
			t.Errorf("LANG=%s: LocaleQuote(%q) = %q, want %q", tc.loc, tc.in, got, tc.want)
		}
	}
	testenv.SetLocale(t, "C")
	t.Setenv("LC_ALL", "C.UTF-8") // LC_ALL wins over LANG
	if got := LocaleQuote("x"); got != "\u2018x\u2019" {
		t.Errorf("LC_ALL=C.UTF-8: %q", got)
	}
}
