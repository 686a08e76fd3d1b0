package cattee

import (
	"os"
	"strings"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command"
)

// runEnv runs argv as the gopipe program would, in e: "gopipe cat ARGS…",
// or through a link, "cat ARGS…", "pipecat", "tee". It returns the status
// and the signal the command asked to die by; e.DieBy is set to it too.
func runEnv(e *command.Env, argv []string) (int, os.Signal) {
	invoked, args := argv[0], argv[1:]
	if argv[0] == "gopipe" {
		invoked, args = "gopipe "+argv[1], argv[2:]
	}
	name := invoked[strings.LastIndexByte(invoked, ' ')+1:]
	spec := map[string]*command.Spec{"cat": Cat, "pipecat": Cat, "tee": Tee}[name]
	sub := e.Enter(spec, invoked)
	status := command.Run(spec, sub, args)
	e.DieBy = sub.DieBy
	return status, sub.DieBy
}
