package inspect

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command"
	"github.com/gopipe/gopipe/fifo"
	"github.com/gopipe/gopipe/internal/remote"
)

// Ls lists FIFOs and sockets, or Windows' named pipes.
var Ls = &command.Spec{
	Name:     "ls",
	Summary:  "list FIFOs and sockets (Unix) or named pipes (Windows)",
	Synopsis: "[--json] [DIR]",
	Intro: `List the FIFOs and sockets in DIR on Unix, the pipes in \\.\pipe\ on Windows
(or, with a DIR, the FIFOs made there by gopipe mkfifo DIR/NAME), with kind,
mode or instance counts, and owner. Without DIR, on Unix: what bare names reach, the current directory
(mkfifo, cat, tee, ...) and the private directory of serve, dial and tap,
whose entries are marked.

`,
	Options: jsonOptions,
	Run:     runLs,
}

// Info describes what a NAME means.
var Info = &command.Spec{
	Name:     "info",
	Summary:  "describe a FIFO, socket or named pipe",
	Synopsis: "[--json] [--watch[=INTERVAL] [--count N]] NAME",
	Intro: `Describe the FIFO, socket or named pipe NAME: kind, owner, mode or security
descriptor (SDDL), server pid and instance counts where the OS tells them.
A bare NAME can mean two things, and info describes each that exists, saying
which: on Unix the file NAME (as mkfifo, cat and tee take it) and the endpoint
NAME of serve, dial and tap; on Windows a file NAME in the current directory
and the pipe \\.\pipe\NAME. With --json, an array with one object each.

Of a FIFO, info also shows who uses it now: each process that holds it open
(pid, user, which end, whether it waits for data or for room, command line),
each blocked opening it and waiting for the other end, and the bytes in its
pipe (on Linux from /proc; on Windows, for gopipe's own FIFOs, as their holder
tells it). It changes nothing it looks at (no FIFO is opened: the bytes are
counted on a duplicate of the read end a holder has).

`,
	Outro: command.RemoteNote,
	Options: append(append([]command.Option(nil), jsonOptions...),
		command.Option{Long: "watch", Arg: command.OptionalArg, ArgName: "INTERVAL", Help: "redraw every INTERVAL (default 1s; 0.5 or 500ms)\nuntil ctrl-C or until NAME is gone"},
		command.Option{Long: "count", Arg: command.RequiredArg, ArgName: "N", Help: "with --watch, stop after N frames"},
	),
	Run: runInfo,
}

var jsonOptions = []command.Option{{Long: "json", Help: "print a JSON array of entries rather than text\n(fields: JSON OUTPUT in gopipe --man)"}}

// asJSON tells whether --json was given.
func asJSON(p *command.Parsed) bool {
	for _, o := range p.Opts {
		if o.Key() == "json" {
			return true
		}
	}
	return false
}

func runLs(e *command.Env, p *command.Parsed) int {
	operands := p.Operands
	if len(operands) > 1 {
		return e.Usage(errors.New("ls takes at most one DIR"))
	}
	dir := ""
	if len(operands) == 1 {
		dir = operands[0] // on Windows only \\.\pipe\ can be listed: fifo.List says so
	}
	// What List found is shown even when it also fails (an untrusted
	// private directory): then the error follows, and the status is 1.
	infos, err := fifo.List(dir)
	status := 0
	defer func() {
		if err != nil {
			e.Errorf("ls %s", command.StrerrorPath(err))
		}
	}()
	if err != nil {
		status = 1
		if infos == nil {
			return status
		}
	}
	if asJSON(p) {
		var out strings.Builder
		writeEntries(&out, infos, nil, runtime.GOOS != "windows")
		return max(status, e.Print(out.String()))
	}
	var out strings.Builder
	tw := tabwriter.NewWriter(&out, 0, 8, 2, ' ', 0)
	for _, in := range infos {
		// Names as GNU ls shows them: quoted when a shell would need it,
		// control characters escaped, so that each is one line.
		if runtime.GOOS == "windows" {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", in.Kind, instances(in), command.Quotef(in.Name))
			continue
		}
		where := ""
		if in.Namespace == fifo.NamespaceEndpoints {
			where = "\t(endpoint, in " + command.Quotef(filepath.Dir(in.Path)) + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s%s\n", in.Kind, modeString(in), command.Visible(in.Owner), command.Quotef(in.Name), where)
	}
	tw.Flush()
	return max(status, e.Print(out.String()))
}

func runInfo(e *command.Env, p *command.Parsed) int {
	operands := p.Operands
	if len(operands) != 1 {
		return e.Usage(errors.New("info takes one NAME"))
	}
	name := operands[0]
	watch, interval, count := false, time.Second, 0
	for _, o := range p.Opts {
		var err error
		if watch, interval, count, err = watchOption(o, watch, interval, count); err != nil {
			return e.Usage(err)
		}
	}
	if count > 0 && !watch {
		return e.Usage(errors.New("--count goes with --watch"))
	}
	if !watch {
		return infoFrame(e, name, asJSON(p), "")
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for frame := 1; ; frame++ {
		sep := frameSeparator(e, asJSON(p), frame)
		if frame > 1 {
			// Gone: the end of a watch, and no error, once it has shown
			// something.
			if _, err := fifo.Lookup(name); errors.Is(err, fs.ErrNotExist) {
				if asJSON(p) {
					return 0
				}
				return e.Print(sep + command.Quotef(name) + " is gone\n")
			}
		}
		if st := infoFrame(e, name, asJSON(p), sep); st != 0 {
			return st
		}
		if frame == count {
			return 0
		}
		select {
		case <-tick.C:
		case <-e.Ctx.Done():
			return 0
		}
	}
}

// infoFrame prints, after sep, what name means now, and who uses it.
func infoFrame(e *command.Env, name string, asJSON bool, sep string) int {
	if n, ok, err := remote.Lookup(name); err != nil || ok {
		if err != nil {
			e.Errorf("info %s", command.StrerrorPath(err))
			return 1
		}
		return remoteInfo(e, n, asJSON, sep)
	}
	found, err := fifo.Lookup(name)
	if err != nil {
		e.Errorf("info %s", command.StrerrorPath(err))
		return 1
	}
	usages := make([]*fifo.Usage, len(found))
	for i, in := range found {
		if usages[i], err = usageOf(in); err != nil {
			e.Errorf("info %s", command.StrerrorPath(err))
			return 1
		}
	}
	var out strings.Builder
	out.WriteString(sep)
	if asJSON {
		writeEntries(&out, found, usages, runtime.GOOS != "windows")
		return e.Print(out.String())
	}
	for i, in := range found {
		if i > 0 {
			out.WriteString("\n")
		}
		writeInfo(&out, in, usages[i])
	}
	return e.Print(out.String())
}

// namespaceLabels say which commands mean a name found in each namespace.
var namespaceLabels = map[fifo.Namespace]string{
	fifo.NamespaceFiles:     "files (mkfifo, cat, tee, redirect, run)",
	fifo.NamespaceEndpoints: "endpoints (serve, dial, tap)",
	fifo.NamespacePipes:     `pipes (\\.\pipe\)`,
}

func writeInfo(w io.Writer, in fifo.Info, u *fifo.Usage) {
	tw := tabwriter.NewWriter(w, 0, 8, 1, ' ', 0)
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", k, command.Visible(v))
		}
	}
	line("name", command.Quotef(in.Name))
	line("namespace", namespaceLabels[in.Namespace])
	line("path", command.Quotef(in.Path))
	line("kind", in.Kind.String())
	owner := in.Owner
	if in.OwnerID != "" && in.OwnerID != in.Owner {
		owner += " (" + in.OwnerID + ")"
	}
	line("owner", owner)
	if in.Mode != 0 || runtime.GOOS != "windows" {
		line("mode", fmt.Sprintf("%s (%s)", octalMode(in.Mode), lsMode(in)))
	}
	line("sddl", in.SDDL)
	if in.ServerPID != 0 {
		line("server pid", strconv.Itoa(in.ServerPID))
	}
	if in.Instances >= 0 || in.MaxInstances >= 0 {
		line("instances", instances(in))
	}
	if u != nil {
		writeUsage(tw, u)
	}
	tw.Flush()
}

func modeString(in fifo.Info) string {
	return fmt.Sprintf("%04o", uint32(in.Mode))
}

// instances renders CURRENT/MAX, with ? for what is unknown.
func instances(in fifo.Info) string {
	n := func(v int) string {
		if v < 0 {
			return "?"
		}
		return strconv.Itoa(v)
	}
	return n(in.Instances) + "/" + n(in.MaxInstances)
}

// remoteInfo is info of a NAME on another host: gopipe info there, its
// output passed through.
func remoteInfo(e *command.Env, n remote.Name, asJSON bool, sep string) int {
	args := []string{"info"}
	if asJSON {
		args = append(args, "--json")
	}
	f, p, err := remote.Open(n, remote.Options{}, e.Stderr, false, append(args, "--", n.Path)...)
	if err != nil {
		e.Errorf("info %s", command.StrerrorPath(err))
		return 1
	}
	var out strings.Builder
	out.WriteString(sep)
	_, cerr := io.Copy(&out, f)
	f.Close()
	if err := p.Wait(); err != nil {
		e.Print(out.String())
		e.Errorf("info %s: %v", n.URL, err)
		var re *remote.Error
		if errors.As(err, &re) && re.Status > 0 {
			return re.Status
		}
		return 1
	}
	if cerr != nil {
		e.Errorf("info %s: %s", n.URL, command.Strerror(cerr))
		return 1
	}
	return e.Print(out.String())
}
