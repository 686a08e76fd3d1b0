package main

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/gopipe/gopipe/fifo"
)

const mkfifoHelp = `Usage: %[1]s [OPTION]... NAME...
Create named pipes (FIFOs) with the given NAMEs.

Mandatory arguments to long options are mandatory for short options too.
  -m, --mode=MODE    set file permission bits to MODE, not 0600
  -Z                   set the SELinux security context to default type
      --context[=CTX]  like -Z, or if CTX is specified then set the SELinux
                         or SMACK security context to CTX
      --help        display this help and exit
      --version     output version information and exit

Unlike GNU mkfifo, whose default is a=rw less the umask, a FIFO is made 0600
(private) unless -m gives a mode; a mode given with -m is applied exactly.
On Windows NAME is a pipe in \\.\pipe\, held open by a background gopipe
until it is removed with 'gopipe rmfifo NAME'.
`

var mkfifoOpts = []optSpec{
	{short: 'm', long: "mode", arg: requiredArg},
	{short: 'Z', arg: noArg},
	{long: "context", arg: optionalArg},
	{long: "help"},
	{long: "version"},
}

// runMkfifo is GNU mkfifo, but for the default mode (0600).
func runMkfifo(e *env, args []string) int {
	opts, names, err := getopt(args, mkfifoOpts)
	if err != nil {
		return e.usage(err)
	}
	perm := fifo.DefaultMode
	for _, o := range opts {
		switch o.key() {
		case "help":
			fmt.Fprintf(e.stdout, mkfifoHelp, e.invoked)
			return 0
		case "version":
			fmt.Fprintf(e.stdout, "%s (gopipe) %s\n", e.prog, version())
			return 0
		case "mode":
			m, err := fifoMode(o.value, currentUmask())
			if err != nil {
				e.errorf("invalid mode")
				return 1
			}
			if m&^fs.ModePerm != 0 {
				e.errorf("mode must specify only file permission bits")
				return 1
			}
			perm = m
		case "context":
			// No SELinux or SMACK support: GNU warns only when a context
			// is given, and -Z alone is silently accepted.
			if o.hasValue {
				e.errorf("warning: ignoring --context; it requires an SELinux/SMACK-enabled kernel")
			}
		}
	}
	if len(names) == 0 {
		return e.usage(errors.New("missing operand"))
	}
	status := 0
	for _, name := range names {
		if err := fifo.Make(name, perm); err != nil {
			what := "cannot create fifo"
			if errors.Is(err, fifo.ErrModeNotSet) {
				what = "cannot set permissions of"
			}
			e.errorf("%s %s: %s", what, quote(name), strerror(err))
			status = 1
		}
	}
	return status
}
