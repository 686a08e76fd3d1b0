package commandtest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command"
)

// mainEnv, set in its environment, makes a test binary gopipe itself (see
// Main).
const mainEnv = "GOPIPE_TEST_MAIN"

// Main makes a test binary stand in for gopipe when a test runs it as a
// child ("gopipe testcat …" stages of gopipe run, redirect's CMD): with
// GOPIPE_TEST_MAIN=1 in its environment it runs "NAME ARGS…" or "gopipe
// NAME ARGS…", NAME one of specs or Applets, and exits. Call it first thing
// in TestMain; otherwise it returns, having set that environment for the
// children the tests start.
func Main(specs ...*command.Spec) {
	if os.Getenv(mainEnv) == "1" {
		args := os.Args[1:]
		if len(args) > 0 && args[0] == "gopipe" {
			args = args[1:]
		}
		all := append(specs, Applets...)
		var s *command.Spec
		if len(args) > 0 {
			s = command.Lookup(all, args[0])
		}
		if s == nil {
			fmt.Fprintf(os.Stderr, "%q: applet not found\n", args)
			os.Exit(command.StatusNotFound)
		}
		e := command.NewEnv(context.Background(), os.Stdin, os.Stdout, os.Stderr).Enter(s, "gopipe "+s.Name)
		os.Exit(command.Run(s, e, args[1:]))
	}
	os.Setenv(mainEnv, "1")
	if os.Getenv("GORACE") == "" {
		// A race-enabled child would sleep a second as it exits.
		os.Setenv("GORACE", "atexit_sleep_ms=0")
	}
}

// Applets stand in for filters (cat, tee) that may not exist on the OS
// the tests run on, as stages of the pipelines they run.
var Applets = []*command.Spec{
	{Name: "testcat", Run: func(e *command.Env, p *command.Parsed) int {
		in := e.Stdin
		if len(p.Operands) > 0 {
			f, err := os.Open(p.Operands[0])
			if err != nil {
				e.Errorf("%v", err)
				return 1
			}
			defer f.Close()
			in = f
		}
		if _, err := io.Copy(e.Stdout, in); err != nil {
			return 1
		}
		return 0
	}},
	{Name: "testupper", Run: func(e *command.Env, p *command.Parsed) int {
		sc := bufio.NewScanner(e.Stdin)
		for sc.Scan() {
			fmt.Fprintln(e.Stdout, strings.ToUpper(sc.Text()))
		}
		return 0
	}},
	{Name: "testexit", Run: func(e *command.Env, p *command.Parsed) int {
		n, _ := strconv.Atoi(p.Operands[0])
		return n
	}},
	// testboth writes "out" to stdout, then "err" to stderr.
	{Name: "testboth", Run: func(e *command.Env, p *command.Parsed) int {
		fmt.Fprintln(e.Stdout, "out")
		fmt.Fprintln(e.Stderr, "err")
		return 0
	}},
	// testargs prints its arguments, one a line, in brackets.
	{Name: "testargs", InOrder: true, Run: func(e *command.Env, p *command.Parsed) int {
		for _, a := range p.Operands {
			fmt.Fprintf(e.Stdout, "[%s]\n", a)
		}
		return 0
	}},
}
