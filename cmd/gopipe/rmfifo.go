package main

import (
	"errors"
	"fmt"

	"github.com/gopipe/gopipe/fifo"
)

const rmfifoHelp = `Usage: gopipe rmfifo NAME...
Remove the FIFOs NAME: unlink them on Unix (anything that is not a FIFO is
left alone), stop their holders on Windows, where a FIFO made by
'gopipe mkfifo' lives until it is removed.
`

var rmfifoOpts = []optSpec{{long: "help"}}

func runRmfifo(e *env, args []string) int {
	opts, names, err := getopt(args, rmfifoOpts)
	if err != nil {
		return e.usage(err)
	}
	if len(opts) > 0 {
		fmt.Fprint(e.stdout, rmfifoHelp)
		return 0
	}
	if len(names) == 0 {
		return e.usage(errors.New("missing operand"))
	}
	status := 0
	for _, name := range names {
		if err := fifo.Remove(name); err != nil {
			e.errorf("cannot remove %s: %s", quote(name), strerror(err))
			status = 1
		}
	}
	return status
}
