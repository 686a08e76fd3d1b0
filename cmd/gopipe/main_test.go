package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
)

// mainEnv makes this test binary gopipe itself, with the test applets
// below, so that `gopipe run` tests have gopipe stages that need no Unix
// tools, on Windows too.
const mainEnv = "GOPIPE_TEST_MAIN"

func TestMain(m *testing.M) {
	commands = append(commands, testApplets...)
	if os.Getenv(mainEnv) == "1" {
		main()
	}
	// Children of `gopipe run` tests that run "gopipe" run this binary.
	os.Setenv(mainEnv, "1")
	if os.Getenv("GORACE") == "" {
		// A race-enabled child would sleep a second as it exits.
		os.Setenv("GORACE", "atexit_sleep_ms=0")
	}
	os.Exit(m.Run())
}

// testApplets stand in for filters (cat, tee) that may not exist yet.
var testApplets = []command{
	{name: "testcat", run: func(e *env, args []string) int {
		in := e.stdin
		if len(args) > 0 {
			f, err := os.Open(args[0])
			if err != nil {
				e.errorf("%v", err)
				return 1
			}
			defer f.Close()
			in = f
		}
		if _, err := io.Copy(e.stdout, in); err != nil {
			return 1
		}
		return 0
	}},
	{name: "testupper", run: func(e *env, args []string) int {
		sc := bufio.NewScanner(e.stdin)
		for sc.Scan() {
			fmt.Fprintln(e.stdout, strings.ToUpper(sc.Text()))
		}
		return 0
	}},
	{name: "testexit", run: func(e *env, args []string) int {
		n, _ := strconv.Atoi(args[0])
		return n
	}},
	// testboth writes "out" to stdout, then "err" to stderr.
	{name: "testboth", run: func(e *env, args []string) int {
		fmt.Fprintln(e.stdout, "out")
		fmt.Fprintln(e.stderr, "err")
		return 0
	}},
	// testargs prints its arguments, one a line, in brackets.
	{name: "testargs", run: func(e *env, args []string) int {
		for _, a := range args {
			fmt.Fprintf(e.stdout, "[%s]\n", a)
		}
		return 0
	}},
}
