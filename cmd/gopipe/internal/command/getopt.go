package command

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// GNU getopt_long, as coreutils parse their arguments: options may follow
// operands (unless POSIXLY_CORRECT is set, or the Spec says InOrder), "--"
// ends the options, short options combine ("-ai", "-m600"), long options
// take "=VALUE" or the next argument, and may be shortened to any
// unambiguous prefix ("--mo=600"). urfave/cli's flag parsing stops at the
// first operand and cannot bundle, so every command parses with this, and
// its errors read exactly as GNU's do.

// ArgKind says whether an option takes a value.
type ArgKind int

const (
	NoArg       ArgKind = iota
	RequiredArg         // -m MODE, -mMODE, --mode=MODE, --mode MODE
	OptionalArg         // long form only, as --name=VALUE
)

// Opt is one option as parsed from a command line.
type Opt struct {
	*Option
	Value    string
	HasValue bool
}

// Key is the option's long name, or its short letter.
func (o Opt) Key() string {
	if o.Long != "" {
		return o.Long
	}
	return string(o.Short)
}

// name is the option as a user writes it: --long, or -s.
func (o *Option) name() string {
	if o.Long != "" {
		return "--" + o.Long
	}
	return "-" + string(o.Short)
}

// Duration is the option's value as a duration, 0 or more (--wait,
// --grace); an error names the option as given.
func (o Opt) Duration() (time.Duration, error) {
	d, err := time.ParseDuration(o.Value)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("invalid %s %s", o.name(), Quote(o.Value))
	}
	return d, nil
}

// UsageError is a command-line error; its message is GNU's first line.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Usagef makes a UsageError.
func Usagef(format string, a ...any) error { return &UsageError{fmt.Sprintf(format, a...)} }

// Parsed is a command line parsed by its Spec's options.
type Parsed struct {
	Opts     []Opt    // in the order given
	Operands []string // the rest
	asked    string   // "help" or "version", if one came first
}

// getopt parses args by opts; with inOrder the options end at the first
// operand. Each option is handed to each (if not nil) as it is parsed, as
// GNU's getopt loop handles it, in order: it is the last of p.Opts then,
// and each may stop the parse (--help) or fail it before a later option is
// even looked at.
func getopt(args []string, opts []Option, inOrder bool, each func(p *Parsed) (stop bool, err error)) (*Parsed, error) {
	p := &Parsed{}
	add := func(o Opt) (bool, error) {
		p.Opts = append(p.Opts, o)
		if each == nil {
			return false, nil
		}
		return each(p)
	}
	permute := !inOrder && os.Getenv("POSIXLY_CORRECT") == ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			p.Operands = append(p.Operands, args[i+1:]...)
			return p, nil
		case strings.HasPrefix(a, "--"):
			o, used, err := parseLong(a[2:], args[i+1:], opts)
			if err != nil {
				return nil, err
			}
			i += used
			if stop, err := add(o); stop || err != nil {
				return p, err
			}
		case len(a) > 1 && a[0] == '-':
			for j := 1; j < len(a); j++ {
				c := rune(a[j])
				s := findShort(opts, c)
				if s == nil {
					return nil, Usagef("invalid option -- '%c'", c)
				}
				o := Opt{Option: s}
				if s.Arg == RequiredArg {
					switch {
					case j+1 < len(a):
						o.Value, o.HasValue = a[j+1:], true
					case i+1 < len(args):
						i++
						o.Value, o.HasValue = args[i], true
					default:
						return nil, Usagef("option requires an argument -- '%c'", c)
					}
					j = len(a)
				}
				if stop, err := add(o); stop || err != nil {
					return p, err
				}
			}
		default:
			if !permute {
				p.Operands = append(p.Operands, args[i:]...)
				return p, nil
			}
			p.Operands = append(p.Operands, a)
		}
	}
	return p, nil
}

func findShort(opts []Option, c rune) *Option {
	for i := range opts {
		if opts[i].Short == c {
			return &opts[i]
		}
	}
	return nil
}

// parseLong parses "--" + body, taking a value from rest if needed; used is
// how many of rest it consumed.
func parseLong(body string, rest []string, opts []Option) (o Opt, used int, err error) {
	name, value, hasValue := strings.Cut(body, "=")
	var matches []*Option
	for i := range opts {
		s := &opts[i]
		if s.Long == "" || !strings.HasPrefix(s.Long, name) {
			continue
		}
		if s.Long == name { // an exact match beats prefixes
			matches = []*Option{s}
			break
		}
		matches = append(matches, s)
	}
	switch len(matches) {
	case 0:
		return o, 0, Usagef("unrecognized option '--%s'", body)
	case 1:
	default:
		var b strings.Builder
		fmt.Fprintf(&b, "option '--%s' is ambiguous; possibilities:", body)
		for _, m := range matches {
			fmt.Fprintf(&b, " '--%s'", m.Long)
		}
		return o, 0, &UsageError{b.String()}
	}
	s := matches[0]
	o.Option = s
	switch s.Arg {
	case NoArg:
		if hasValue {
			return o, 0, Usagef("option '--%s' doesn't allow an argument", s.Long)
		}
	case RequiredArg:
		if !hasValue {
			if len(rest) == 0 {
				return o, 0, Usagef("option '--%s' requires an argument", s.Long)
			}
			value, hasValue, used = rest[0], true, 1
		}
	}
	o.Value, o.HasValue = value, hasValue
	return o, used, nil
}
