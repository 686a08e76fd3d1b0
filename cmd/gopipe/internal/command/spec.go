// Package command is the plumbing every gopipe command shares: the
// declarative table that describes a command (its names, options and help),
// GNU-compatible option parsing from that table, the environment a command
// runs in (so that each is a function of its arguments and standard
// streams), messages, signals, logging and exit statuses.
//
// Each command lives in a package of its own and exports its Specs; the
// gopipe program (cmd/gopipe) lists them in one table, from which parsing,
// --help, the man page and shell completion all come.
package command

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
)

// Spec is one command: everything gopipe knows about it, in one place.
type Spec struct {
	Name    string
	Aliases []string
	// Summary is the command's one line in gopipe --help, --list's
	// neighbours, the man page and completion. A Spec without one is
	// hidden (tests' own applets).
	Summary string
	// Synopsis is what follows the command's name on its usage line:
	// "[OPTION]... NAME...".
	Synopsis string
	// Intro is the help text between the usage line and the options, as
	// written (end it with a blank line to have one before the options);
	// Outro the text after them, after a blank line. In both, %[1]s is
	// the command as invoked.
	Intro, Outro string
	Options      []Option
	// Operands says what completes the operands; CompleteNothing (the
	// zero value) leaves them to the shell's default, file names.
	Operands Completion
	// GNU marks the commands modelled on GNU tools (mkfifo, cat, tee):
	// their messages start with the command's own name, and usage errors
	// exit 1, as GNU's do. gopipe's own commands say "gopipe: " and exit 2.
	GNU bool
	// DropIn marks the commands whose names gopipe --install links by
	// default: those a user means by that name on PATH (mkfifo, cat and
	// tee, as GNU's; rmfifo, which no system has). The others' names
	// (ls, info, run…) would shadow system commands that gopipe's do not
	// replace: --install --all links them too, warning.
	DropIn bool
	// InOrder ends the options at the first operand, as for a command
	// line that carries another command's (redirect -- CMD ARG...).
	InOrder bool
	// LongOrder, if set, is the order of the long options in the GNU
	// tool's own table, which its "ambiguous" message lists when it
	// differs from its --help's order (cat's); Options is in help order.
	LongOrder []string
	// Run runs the command once its options are parsed; --help and
	// --version never reach it.
	Run func(e *Env, p *Parsed) int
}

// Option is one option of a command, as the table declares it.
type Option struct {
	Short rune   // 0: no short form
	Long  string // "": no long form
	Arg   ArgKind
	// ArgName names the value in the help ("MODE").
	ArgName string
	// Help is the option's description; each "\n" starts a new line.
	Help string
	// Values, if set, are the only values the option takes, matched as
	// GNU's argmatch does (exactly, or by an abbreviation only one value
	// starts with) and given to Run in full; completion offers them.
	Values []string
	// Complete says what completes the option's value.
	Complete Completion
	// OS, if set, is the only GOOS on which the option means anything
	// ("unix" for every OS but Windows): elsewhere it is refused, not
	// ignored.
	OS string
}

// Completion is what a shell should offer for a value or an operand.
type Completion int

const (
	CompleteNothing  Completion = iota
	CompleteFile                // file names
	CompleteEndpoint            // the endpoint names that dial reaches
	CompleteCommand             // a command to run
)

// The options every command has; Run handles them.
var (
	helpOption    = Option{Long: "help", Help: "display this help and exit"}
	versionOption = Option{Long: "version", Help: "output version information and exit"}
)

// AllOptions is the command's options with --help and --version, in the
// order its help shows them. gopipe's own commands take -h for --help, as
// gopipe itself does; the GNU-modelled ones refuse it, as GNU's do.
func (s *Spec) AllOptions() []Option {
	help := helpOption
	if !s.GNU {
		help.Short = 'h'
	}
	return append(append(s.Options[:len(s.Options):len(s.Options)], help), versionOption)
}

// parseOrder is AllOptions in LongOrder's order, where it is given.
func (s *Spec) parseOrder() []Option {
	opts := s.AllOptions()
	if s.LongOrder == nil {
		return opts
	}
	rank := func(o Option) int {
		for i, l := range s.LongOrder {
			if l == o.Long {
				return i
			}
		}
		return len(s.LongOrder)
	}
	slices.SortStableFunc(opts, func(a, b Option) int { return rank(a) - rank(b) })
	return opts
}

// Lookup is the command in specs called name, by its name or an alias, or
// nil.
func Lookup(specs []*Spec, name string) *Spec {
	for _, s := range specs {
		for _, n := range s.Names() {
			if n == name {
				return s
			}
		}
	}
	return nil
}

// Names is the command's name and aliases.
func (s *Spec) Names() []string { return append([]string{s.Name}, s.Aliases...) }

// Run parses args by s's table and runs s in e, which Enter has set up:
// --help and --version are answered here, usage errors reported as the
// command's kind (GNU or gopipe's own) reports them, and an option that
// means nothing on this OS is refused.
func Run(s *Spec, e *Env, args []string) int {
	p, err := Parse(s, args)
	if err != nil {
		return e.Usage(err)
	}
	switch p.asked {
	case "help":
		return e.Print(Help(s, e.Invoked))
	case "version":
		if s.GNU {
			return e.Print(fmt.Sprintf("%s (gopipe) %s\n", e.Prog, Version()))
		}
		return e.Print(fmt.Sprintf("gopipe %s %s\n", s.Name, Version()))
	}
	return s.Run(e, p)
}

// Parse parses args by s's table: the options in order, as GNU's getopt
// loop takes them (a bad value before --help is an error, after it never
// seen), each value of an option with Values matched to one in full, and
// an option that means nothing on this OS refused.
func Parse(s *Spec, args []string) (*Parsed, error) {
	p, err := getopt(args, s.parseOrder(), s.InOrder, func(p *Parsed) (bool, error) {
		o := p.Opts[len(p.Opts)-1]
		if o.Long == "help" || o.Long == "version" {
			p.asked = o.Long
			return true, nil
		}
		if !o.ForThisOS() {
			return false, fmt.Errorf("%s is for %s only", o.name(), OSName(o.OS))
		}
		if o.Values != nil && o.HasValue {
			v, err := argmatch(o, o.Value)
			if err != nil {
				return false, err
			}
			p.Opts[len(p.Opts)-1].Value = v
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// ForThisOS tells whether the option means something on this OS.
func (o *Option) ForThisOS() bool {
	switch o.OS {
	case "", runtime.GOOS:
		return true
	case "unix":
		return runtime.GOOS != "windows"
	}
	return false
}

// OSName is a GOOS (or "unix") as users write it.
func OSName(goos string) string {
	switch goos {
	case "unix":
		return "Unix"
	case "windows":
		return "Windows"
	case "linux":
		return "Linux"
	case "darwin":
		return "macOS"
	}
	return goos
}

// Help is s's --help text, for s called as invoked: a usage line, the
// intro, the options from the table, the outro.
func Help(s *Spec, invoked string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s %s\n", invoked, s.Synopsis)
	b.WriteString(strings.ReplaceAll(s.Intro, "%[1]s", invoked))
	opts := s.AllOptions()
	shorts := false
	for _, o := range opts {
		shorts = shorts || o.Short != 0
	}
	lefts := make([]string, len(opts))
	col := 0
	for i, o := range opts {
		lefts[i] = optionLeft(o, shorts)
		if n := len(lefts[i]) + 2; n <= maxHelpColumn {
			col = max(col, n)
		}
	}
	for i, o := range opts {
		left := lefts[i]
		help := o.Help
		if o.OS != "" {
			help += " (" + OSName(o.OS) + " only)"
		}
		lines := strings.Split(help, "\n")
		if len(left)+2 > col {
			fmt.Fprintf(&b, "%s\n%*s%s\n", left, col, "", lines[0])
		} else {
			fmt.Fprintf(&b, "%-*s%s\n", col, left, lines[0])
		}
		for _, l := range lines[1:] {
			fmt.Fprintf(&b, "%*s%s\n", col+2, "", l)
		}
	}
	if s.Outro != "" {
		b.WriteByte('\n')
		b.WriteString(strings.ReplaceAll(s.Outro, "%[1]s", invoked))
	}
	return b.String()
}

// maxHelpColumn is where option descriptions start at the latest: a longer
// option puts its description on the next line.
const maxHelpColumn = 30

// optionLeft is the option as its help line begins: "  -m, --mode=MODE",
// "      --progress" (room kept for a short form when any option has one,
// as GNU lays it out), "  -p".
func optionLeft(o Option, shorts bool) string {
	var b strings.Builder
	b.WriteString("  ")
	switch {
	case o.Short != 0 && o.Long != "":
		fmt.Fprintf(&b, "-%c, ", o.Short)
	case o.Short != 0:
		fmt.Fprintf(&b, "-%c", o.Short)
	case shorts:
		b.WriteString("    ")
	}
	if o.Long != "" {
		b.WriteString("--" + o.Long)
	}
	switch {
	case o.Arg == RequiredArg && o.Long != "":
		b.WriteString("=" + o.ArgName)
	case o.Arg == RequiredArg:
		b.WriteString(" " + o.ArgName)
	case o.Arg == OptionalArg:
		b.WriteString("[=" + o.ArgName + "]")
	}
	return b.String()
}

// argmatch matches arg against o.Values as GNU's argmatch does, with its
// message when nothing or more than one value matches.
func argmatch(o Opt, arg string) (string, error) {
	var found []string
	for _, v := range o.Values {
		if v == arg {
			return v, nil
		}
		if strings.HasPrefix(v, arg) {
			found = append(found, v)
		}
	}
	if len(found) == 1 {
		return found[0], nil
	}
	what := "invalid"
	if len(found) > 1 {
		what = "ambiguous"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s argument %s for %s\nValid arguments are:", what, LocaleQuote(arg), LocaleQuote(o.name()))
	for _, v := range o.Values {
		fmt.Fprintf(&b, "\n  - %s", LocaleQuote(v))
	}
	return "", &UsageError{b.String()}
}

// RemoteNote is what the help of every command that takes a NAME says of
// ssh:// NAMEs (the rule is internal/remote's, through fifo.OpenFile and
// fifo.Dial).
const RemoteNote = `
A NAME ssh://[USER@]HOST[:PORT]/NAME is NAME on HOST, reached by the system's
ssh (your config, agent, keys and known_hosts) running gopipe there: the URL's
path less its first slash, percent-decoded (ssh://h/demo is demo there,
ssh://h//tmp/f the path /tmp/f). GNU's tools read ssh://h/x as a relative
path: where that file, or its directory, exists, it is the local file.
$GOPIPE_SSH is the ssh command, $GOPIPE_REMOTE_GOPIPE the remote gopipe.
`
