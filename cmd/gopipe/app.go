package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/cattee"
	"github.com/gopipe/gopipe/cmd/gopipe/internal/command"
	"github.com/gopipe/gopipe/cmd/gopipe/internal/endpoint"
	"github.com/gopipe/gopipe/cmd/gopipe/internal/inspect"
	"github.com/gopipe/gopipe/cmd/gopipe/internal/mkfifo"
	"github.com/gopipe/gopipe/cmd/gopipe/internal/redirect"
	"github.com/gopipe/gopipe/cmd/gopipe/internal/run"
)

// commands is every command of gopipe, in the order gopipe --help shows
// them: the one table from which dispatch, --help, the man page, shell
// completion and docs/commands.md are made. Each command lives in a package
// of its own under internal/.
var commands = []*command.Spec{
	mkfifo.Mkfifo,
	mkfifo.Rmfifo,
	cattee.Cat,
	cattee.Tee,
	redirect.Redirect,
	run.Run,
	endpoint.Serve,
	endpoint.Dial,
	inspect.Ls,
	inspect.Info,
	inspect.Graph,
	endpoint.Tap,
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

// program is the whole program but for the OS's wiring (main): it returns the
// exit status, and the signal, if any, the process should die by instead
// (see command.Env.DieBy).
func program(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (status int, dieBy os.Signal) {
	e := command.NewEnv(ctx, stdin, stdout, stderr)
	e.ExecStage = execStage
	status = dispatch(e, args)
	return status, e.DieBy
}

// dispatch runs args: a link named after a command (argv[0] dispatch, as
// busybox does), gopipe's own options, or gopipe COMMAND ARG….
func dispatch(e *command.Env, args []string) int {
	name := "gopipe"
	if len(args) > 0 {
		name = appletName(args[0])
		args = args[1:]
	}
	if !strings.HasPrefix(name, "gopipe") {
		s := command.Lookup(commands, name)
		if s == nil {
			fmt.Fprintf(e.Stderr, "%s: applet not found\n", name)
			return command.StatusNotFound
		}
		return runSpec(e, s, name, args)
	}
	if len(args) > 0 {
		switch a := args[0]; a {
		case "--list":
			return list(e, args[1:])
		case "--install":
			return runSpec(e, installSpec, "gopipe --install", args[1:])
		case "--uninstall":
			return runSpec(e, uninstallSpec, "gopipe --uninstall", args[1:])
		case "--version", "-v":
			if len(args) > 1 {
				return e.Usage(fmt.Errorf("%s takes no arguments", a))
			}
			return e.Print(fmt.Sprintf("gopipe %s\n", command.Version()))
		case "--man":
			return man(e, args[1:])
		case "--completion":
			return completion(e, args[1:])
		case completeCommand:
			return complete(e, args[1:])
		case cattee.RemoteSide.Name:
			return runSpec(e, cattee.RemoteSide, "gopipe "+cattee.RemoteSide.Name, args[1:])
		case "help":
			if len(args) > 1 && args[1] == "--man" {
				return man(e, args[2:])
			}
		case "--help", "-h", "--":
		default:
			// A command runs straight from the table: urfave/cli, which
			// gopipe --help needs, would only add to every start.
			if s := command.Lookup(commands, a); s != nil {
				return runSpec(e, s, "gopipe "+a, args[1:])
			}
			// gopipe's own options are those above: anything else that
			// looks like one is refused as GNU's getopt refuses it.
			if strings.HasPrefix(a, "--") {
				return e.Usage(command.Usagef("unrecognized option '%s'", a))
			}
			if len(a) > 1 && a[0] == '-' {
				return e.Usage(command.Usagef("invalid option -- '%c'", a[1]))
			}
		}
	}
	return runApp(e, args)
}

// runSpec runs s in e, called as invoked, and passes on the signal it asks
// to die by.
func runSpec(e *command.Env, s *command.Spec, invoked string, args []string) int {
	sub := e.Enter(s, invoked)
	status := command.Run(s, sub, args)
	e.DieBy = sub.DieBy
	return status
}

// runApp runs gopipe itself with urfave/cli: its help, and dispatch to the
// commands, which parse their own arguments GNU-style.
func runApp(e *command.Env, args []string) int {
	status := 0
	typed := ""
	if len(args) > 0 {
		typed = args[0]
	}
	app := newApp(e, &status, typed)
	// urfave/cli ignores its writes' errors (gopipe --help >/dev/full):
	// they are caught here, as GNU's close_stdout catches them.
	out := &errWriter{w: e.Stdout}
	app.Writer = out
	err := app.RunContext(e.Ctx, append([]string{"gopipe"}, args...))
	var ec cli.ExitCoder
	switch {
	case err == nil && out.err != nil:
		e.Errorf("write error: %s", command.Strerror(out.err))
		return command.StatusFailure
	case err == nil:
		return status
	case errors.As(err, &ec):
		if msg := err.Error(); msg != "" {
			fmt.Fprintln(e.Stderr, msg)
		}
		return ec.ExitCode()
	default:
		fmt.Fprintf(e.Stderr, "gopipe: %v\n", err)
		return command.StatusUsage
	}
}

// newApp is gopipe as a urfave/cli App, made from the command table:
// urfave's command and flag model, from which come gopipe --help and the
// man page. Its commands run the commands in e, GNU-style (SkipFlagParsing:
// urfave's flag parsing cannot do what GNU's getopt does), and leave their
// exit status in *status. typed is the command as the user typed it: an
// alias speaks as itself ("gopipe pipecat" says "pipecat: ...").
func newApp(e *command.Env, status *int, typed string) *cli.App {
	app := &cli.App{
		Name:      "gopipe",
		Usage:     "pipe and FIFO tools that work the same on Unix and Windows",
		UsageText: strings.Join(globalSynopsis, "\n"),
		Version:   command.Version(),
		Reader:    e.Stdin,
		Writer:    e.Stdout,
		ErrWriter: e.Stderr,
		// urfave's default handler calls os.Exit mid-run: we map errors to
		// exit statuses ourselves.
		ExitErrHandler:  func(*cli.Context, error) {},
		HideHelpCommand: true,
		HideVersion:     true, // dispatch prints it, as "gopipe VERSION"
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return cli.Exit(fmt.Sprintf("gopipe: %v\nTry 'gopipe --help' for more information.", err), command.StatusUsage)
		},
		CommandNotFound: func(_ *cli.Context, name string) {
			fmt.Fprintf(e.Stderr, "gopipe: %s: applet not found\n", name)
			*status = command.StatusNotFound
		},
	}
	for _, s := range commands {
		app.Commands = append(app.Commands, &cli.Command{
			Name:            s.Name,
			Aliases:         s.Aliases,
			Usage:           s.Summary,
			UsageText:       "gopipe " + s.Name + " " + s.Synopsis,
			Description:     strings.TrimSpace(s.Intro),
			Flags:           cliFlags(s),
			SkipFlagParsing: true,
			HideHelp:        true,
			Action: func(ctx *cli.Context) error {
				name := s.Name
				if command.Lookup([]*command.Spec{s}, typed) == s {
					name = typed
				}
				*status = runSpec(e, s, "gopipe "+name, ctx.Args().Slice())
				return nil
			},
		})
	}
	return app
}

// cliFlags is s's option table as urfave/cli flags, for the man page.
func cliFlags(s *command.Spec) []cli.Flag {
	var flags []cli.Flag
	for _, o := range s.AllOptions() {
		name, aliases := o.Long, []string(nil)
		if name == "" {
			name = string(o.Short)
		} else if o.Short != 0 {
			aliases = []string{string(o.Short)}
		}
		usage := strings.ReplaceAll(o.Help, "\n", " ")
		if o.OS != "" {
			usage += " (" + command.OSName(o.OS) + " only)"
		}
		if o.Arg == command.NoArg {
			flags = append(flags, &cli.BoolFlag{Name: name, Aliases: aliases, Usage: usage})
		} else {
			flags = append(flags, &cli.StringFlag{Name: name, Aliases: aliases, Usage: usage})
		}
	}
	return flags
}

// list prints the command names, one a line, like busybox --list.
func list(e *command.Env, args []string) int {
	if len(args) > 0 {
		fmt.Fprintf(e.Stderr, "gopipe: --list takes no arguments\n")
		return command.StatusUsage
	}
	var names []string
	for _, s := range commands {
		names = append(names, s.Names()...)
	}
	sort.Strings(names)
	return e.Print(strings.Join(names, "\n") + "\n")
}

// errWriter keeps the first error of the writes to w.
type errWriter struct {
	w   io.Writer
	err error
}

func (w *errWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	if err != nil && w.err == nil {
		w.err = err
	}
	return n, err
}
