package main

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// GNU getopt_long, as coreutils parse their arguments: options may follow
// operands (unless POSIXLY_CORRECT is set), "--" ends the options, short
// options combine ("-ai", "-m600"), long options take "=VALUE" or the next
// argument, and may be shortened to any unambiguous prefix ("--mo=600").
// urfave/cli's flag parsing stops at the first operand and cannot bundle, so
// the GNU-compatible commands parse with this instead, and its errors read
// exactly as GNU's do.

type argKind int

const (
	noArg argKind = iota
	requiredArg
	optionalArg // long form only, as "--name=VALUE"
)

type optSpec struct {
	short rune   // 0: no short form
	long  string // "": no long form
	arg   argKind
}

// option is one parsed option: spec.short or spec.long identifies it.
type option struct {
	spec     *optSpec
	value    string
	hasValue bool
}

// key returns the option's long name, or its short letter.
func (o option) key() string {
	if o.spec.long != "" {
		return o.spec.long
	}
	return string(o.spec.short)
}

// duration is the option's value as a duration, 0 or more (--wait,
// --grace); an error names the option as given.
func (o option) duration() (time.Duration, error) {
	d, err := time.ParseDuration(o.value)
	if err != nil || d < 0 {
		name := "--" + o.spec.long
		if o.spec.long == "" {
			name = "-" + string(o.spec.short)
		}
		return 0, fmt.Errorf("invalid %s %s", name, quote(o.value))
	}
	return d, nil
}

// usageError is a command-line error; its message is GNU's first line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

func getopt(args []string, specs []optSpec) (opts []option, operands []string, err error) {
	permute := os.Getenv("POSIXLY_CORRECT") == ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return opts, append(operands, args[i+1:]...), nil
		case strings.HasPrefix(a, "--"):
			o, used, err := parseLong(a[2:], args[i+1:], specs)
			if err != nil {
				return nil, nil, err
			}
			i += used
			opts = append(opts, o)
		case len(a) > 1 && a[0] == '-':
			for j := 1; j < len(a); j++ {
				c := rune(a[j])
				s := findShort(specs, c)
				if s == nil {
					return nil, nil, usagef("invalid option -- '%c'", c)
				}
				o := option{spec: s}
				if s.arg == requiredArg {
					switch {
					case j+1 < len(a):
						o.value, o.hasValue = a[j+1:], true
					case i+1 < len(args):
						i++
						o.value, o.hasValue = args[i], true
					default:
						return nil, nil, usagef("option requires an argument -- '%c'", c)
					}
					j = len(a)
				}
				opts = append(opts, o)
			}
		default:
			if !permute {
				return opts, append(operands, args[i:]...), nil
			}
			operands = append(operands, a)
		}
	}
	return opts, operands, nil
}

func findShort(specs []optSpec, c rune) *optSpec {
	for i := range specs {
		if specs[i].short == c {
			return &specs[i]
		}
	}
	return nil
}

// parseLong parses "--" + body, taking a value from rest if needed; used is
// how many of rest it consumed.
func parseLong(body string, rest []string, specs []optSpec) (o option, used int, err error) {
	name, value, hasValue := strings.Cut(body, "=")
	var matches []*optSpec
	for i := range specs {
		s := &specs[i]
		if s.long == "" || !strings.HasPrefix(s.long, name) {
			continue
		}
		if s.long == name { // an exact match beats prefixes
			matches = []*optSpec{s}
			break
		}
		matches = append(matches, s)
	}
	switch len(matches) {
	case 0:
		return o, 0, usagef("unrecognized option '--%s'", body)
	case 1:
	default:
		var b strings.Builder
		fmt.Fprintf(&b, "option '--%s' is ambiguous; possibilities:", name)
		for _, m := range matches {
			fmt.Fprintf(&b, " '--%s'", m.long)
		}
		return o, 0, &usageError{b.String()}
	}
	s := matches[0]
	o.spec = s
	switch s.arg {
	case noArg:
		if hasValue {
			return o, 0, usagef("option '--%s' doesn't allow an argument", s.long)
		}
	case requiredArg:
		if !hasValue {
			if len(rest) == 0 {
				return o, 0, usagef("option '--%s' requires an argument", s.long)
			}
			value, hasValue, used = rest[0], true, 1
		}
	}
	o.value, o.hasValue = value, hasValue
	return o, used, nil
}
