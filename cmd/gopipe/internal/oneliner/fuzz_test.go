package oneliner

import (
	"errors"
	"strings"
	"testing"

	"mvdan.cc/sh/v3/syntax"
)

// FuzzParse: run's front end never panics, refuses with a syntax error or
// a named construct in one line, and what it accepts has commands.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`a | b > f && c < g || d; e 2>&1`, `echo "a b" 'c' d\ e`, `cat *`, `$(x)`, `a 2>>f 1>&2`,
		`if x; then y; fi`, `a &`, `! a`, `x=1 a`, `a <<EOF`, `a 3>f`, "a\nb", `"unterminated`, `a >&`,
		`{ a; }`, `(a)`, `a|`, `~/x`, `$'x'`, `a ${x}`, "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		n, err := Parse(src)
		if err != nil {
			var pe syntax.ParseError
			var ue *UnsupportedError
			var le syntax.LangError
			if !errors.As(err, &pe) && !errors.As(err, &ue) && !errors.As(err, &le) {
				t.Fatalf("%q: %T %v", src, err, err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("%q: message on more lines: %q", src, err)
			}
			return
		}
		check(t, src, n)
		if _, err := Words(src); err != nil && strings.Contains(err.Error(), "\n") {
			t.Fatalf("Words(%q): message on more lines: %q", src, err)
		}
	})
}

func check(t *testing.T, src string, n Node) {
	switch n := n.(type) {
	case nil:
	case *List:
		check(t, src, n.X)
		check(t, src, n.Y)
	case *Pipe:
		for _, s := range n.Stages {
			if len(s.Args) == 0 {
				t.Fatalf("%q: a stage without a command", src)
			}
		}
	default:
		t.Fatalf("%q: node %T", src, n)
	}
}
