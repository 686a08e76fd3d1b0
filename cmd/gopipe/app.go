package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"
)

// A command is one applet of the multi-call binary: `gopipe NAME ARGS…`, or
// a link to the binary called NAME (or one of its aliases).
type command struct {
	name    string
	aliases []string
	usage   string
	run     func(e *env, args []string) int
	// opts are the command's options, for shell completion.
	opts []optSpec
	// own marks gopipe's own commands, as opposed to those modelled on GNU
	// tools: their messages start "gopipe: " and usage errors exit 2.
	own bool
}

// commands is every applet, in the order `gopipe --list` shows them.
var commands = []command{
	{name: "mkfifo", usage: "make FIFOs (named pipes), 0600 unless -m says otherwise", run: runMkfifo, opts: mkfifoOpts},
	{name: "rmfifo", usage: "remove FIFOs (on Windows, stop the process holding them)", run: runRmfifo, opts: rmfifoOpts, own: true},
	{name: "cat", aliases: []string{"pipecat"}, usage: "concatenate files, FIFOs and named pipes to stdout (GNU cat)", run: runCat, opts: catOpts},
	{name: "tee", usage: "copy stdin to stdout and to files, FIFOs and named pipes (GNU tee)", run: runTee, opts: teeOpts},
	{name: "redirect", usage: "run a command with stdin, stdout and stderr redirected to files, FIFOs or named pipes", run: runRedirect, opts: redirectOpts, own: true},
	{name: "run", usage: "run a shell one-liner of commands, pipes, redirections, && || ; without a shell", run: runRun, opts: runOpts, own: true},
	{name: "serve", usage: "serve clients on a named pipe or socket: echo, or --exec a command each", run: runServe, opts: serveOpts, own: true},
	{name: "dial", usage: "connect stdin and stdout to a named pipe or socket", run: runDial, opts: dialOpts, own: true},
	{name: "ls", usage: "list FIFOs and sockets (Unix) or named pipes (Windows)", run: runLs, opts: jsonOpts, own: true},
	{name: "info", usage: "describe a FIFO, socket or named pipe", run: runInfo, opts: jsonOpts, own: true},
	{name: "tap", usage: "relay clients to another pipe, printing the traffic", run: runTap, opts: tapOpts, own: true},
}

func lookup(name string) *command {
	for i := range commands {
		c := &commands[i]
		if c.name == name {
			return c
		}
		for _, a := range c.aliases {
			if a == name {
				return c
			}
		}
	}
	return nil
}

// env is what a command sees of the world, so that each command is a
// function of (args, stdin, stdout, stderr) that tests run in process.
type env struct {
	ctx     context.Context
	prog    string // what starts its messages: the applet's name for GNU-modelled ones
	invoked string // how it was called, for "Try '… --help'"
	// usageStatus is the exit status of a usage error: GNU's 1, or 2 for
	// gopipe's own commands.
	usageStatus int
	stdin       io.Reader
	stdout      io.Writer
	stderr      io.Writer
	// notify, stopNotify and ignore are signal.Notify, signal.Stop and
	// signal.Ignore, replaceable in tests.
	notify     func(c chan<- os.Signal, sig ...os.Signal)
	stopNotify func(c chan<- os.Signal)
	ignore     func(sig ...os.Signal)
	// dieBy, when a command sets it, asks main to end the process by this
	// signal rather than exit with the returned status (which should then
	// be 128+signal, what a shell reports): GNU tee dies by SIGPIPE when an
	// output's reader goes, but Go only dies of SIGPIPE on fds 1 and 2.
	dieBy os.Signal
}

// errorf prints one line "PROG: message" on stderr.
func (e *env) errorf(format string, a ...any) {
	fmt.Fprintf(e.stderr, "%s: %s\n", e.prog, fmt.Sprintf(format, a...))
}

// usage reports a command-line error as GNU tools do, with exit status 1
// (GNU's, which rules for the GNU-modelled commands).
func (e *env) usage(err error) int {
	fmt.Fprintf(e.stderr, "%s: %s\nTry '%s --help' for more information.\n", e.prog, err, e.invoked)
	return e.usageStatus
}

// enter sets e up to run c, called as invoked.
func (e *env) enter(c *command, invoked string) {
	e.prog, e.invoked, e.usageStatus = c.name, invoked, 1
	if c.own {
		e.prog, e.usageStatus = "gopipe", 2
	}
}

// appletName is the command a program name asks for: its base name, less
// a leading "-" (as login shells are called) and ".exe"; on Windows in
// lower case, as names there are case-insensitive.
func appletName(arg0 string) string {
	name := filepath.Base(strings.ReplaceAll(arg0, `\`, "/"))
	name = strings.TrimPrefix(name, "-")
	if runtime.GOOS == "windows" {
		name = strings.ToLower(name)
	}
	return strings.TrimSuffix(strings.TrimSuffix(name, ".exe"), ".EXE")
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// run is the whole program but for the OS's wiring (main): it returns the
// exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	status, _ := runEnv(newEnv(ctx, stdin, stdout, stderr), args)
	return status
}

func newEnv(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer) *env {
	return &env{
		ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr, usageStatus: 2,
		notify: signal.Notify, stopNotify: signal.Stop, ignore: signal.Ignore,
	}
}

// runEnv runs the program in e and returns its exit status and the signal,
// if any, it should die by instead (see env.dieBy).
func runEnv(e *env, args []string) (int, os.Signal) {
	status := dispatch(e, args)
	return status, e.dieBy
}

func dispatch(e *env, args []string) int {
	name := "gopipe"
	if len(args) > 0 {
		name = appletName(args[0])
		args = args[1:]
	}
	if !strings.HasPrefix(name, "gopipe") {
		c := lookup(name)
		if c == nil {
			fmt.Fprintf(e.stderr, "%s: applet not found\n", name)
			return 127
		}
		e.enter(c, name)
		e.prog = strings.Replace(e.prog, c.name, name, 1) // an alias speaks as itself
		return c.run(e, args)
	}
	if len(args) > 0 {
		switch args[0] {
		case "--list":
			return list(e, args[1:])
		case "--install":
			return install(e, args[1:])
		case "--version", "-v":
			fmt.Fprintf(e.stdout, "gopipe %s\n", version())
			return 0
		case "--man":
			return man(e, args[1:])
		case "--completion":
			return completion(e, args[1:])
		case "help":
			if len(args) > 1 && args[1] == "--man" {
				return man(e, args[2:])
			}
		}
	}
	return runApp(e, args)
}

// runApp runs gopipe itself with urfave/cli: help and dispatch to the
// applets, which parse their own arguments GNU-style.
func runApp(e *env, args []string) int {
	status := 0
	app := newApp(e, &status)
	err := app.RunContext(e.ctx, append([]string{"gopipe"}, args...))
	var ec cli.ExitCoder
	switch {
	case err == nil:
		return status
	case errors.As(err, &ec):
		if msg := err.Error(); msg != "" {
			fmt.Fprintln(e.stderr, msg)
		}
		return ec.ExitCode()
	default:
		fmt.Fprintf(e.stderr, "gopipe: %v\n", err)
		return 2
	}
}

// newApp is gopipe as a urfave/cli App, whose commands run the applets in
// e and leave their exit status in *status. Commands without a usage line
// (tests' own) are hidden.
func newApp(e *env, status *int) *cli.App {
	app := &cli.App{
		Name:      "gopipe",
		Usage:     "pipe and FIFO tools that work the same on Unix and Windows",
		UsageText: "gopipe COMMAND [ARG...]\ngopipe --list\ngopipe --install [-s] DIR\ngopipe --version\ngopipe --man\ngopipe --completion bash|zsh|fish|powershell",
		Version:   version(),
		Reader:    e.stdin,
		Writer:    e.stdout,
		ErrWriter: e.stderr,
		// urfave's default handler calls os.Exit mid-run: we map errors to
		// exit statuses ourselves.
		ExitErrHandler:  func(*cli.Context, error) {},
		HideHelpCommand: true,
		HideVersion:     true, // dispatch prints it, as "gopipe VERSION"
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return cli.Exit(fmt.Sprintf("gopipe: %v\nTry 'gopipe --help' for more information.", err), 2)
		},
		CommandNotFound: func(_ *cli.Context, name string) {
			fmt.Fprintf(e.stderr, "gopipe: %s: applet not found\n", name)
			*status = 127
		},
	}
	for i := range commands {
		c := &commands[i]
		app.Commands = append(app.Commands, &cli.Command{
			Name:            c.name,
			Aliases:         c.aliases,
			Usage:           c.usage,
			Hidden:          c.usage == "",
			SkipFlagParsing: true,
			HideHelp:        true,
			Action: func(ctx *cli.Context) error {
				sub := *e
				sub.enter(c, "gopipe "+c.name)
				*status = c.run(&sub, ctx.Args().Slice())
				e.dieBy = sub.dieBy
				return nil
			},
		})
	}
	return app
}

// list prints the applet names, one a line, like busybox --list.
func list(e *env, args []string) int {
	if len(args) > 0 {
		fmt.Fprintf(e.stderr, "gopipe: --list takes no arguments\n")
		return 2
	}
	var names []string
	for _, c := range commands {
		names = append(names, c.name)
		names = append(names, c.aliases...)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintln(e.stdout, n)
	}
	return 0
}
