package inspect

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command"
	"github.com/gopipe/gopipe/internal/proc"
)

// Graph draws how running processes are joined by pipes and FIFOs.
var Graph = &command.Spec{
	Name:     "graph",
	Summary:  "draw how running processes are joined by pipes, FIFOs and sockets",
	Synopsis: "[--dot|--mermaid] [--watch[=INTERVAL]] [--count N] [PID]...",
	Intro: `Draw the pipes, FIFOs and Unix sockets that join running processes: each
edge goes from a process that holds a pipe's write end to one that holds its
read end, named after the pipe (pipe:[INODE] for an anonymous one, the path of
a FIFO); a socket connection (socket:[INODE] and its address) goes both ways. By
default your own processes; with PIDs, those and every process their pipes
reach. 'ps aux | grep x | wc -l' in another terminal shows as three processes
joined by two pipes, in order. Linux only.

`,
	Options: []command.Option{
		{Long: "dot", Help: "print Graphviz (dot) rather than an indented tree"},
		{Long: "mermaid", Help: "print a Mermaid flowchart, for Markdown"},
		{Long: "watch", Arg: command.OptionalArg, ArgName: "INTERVAL", Help: "redraw every INTERVAL (default 1s) with each\nprocess's read and write rates and what it waits\nfor, until ctrl-C"},
		{Long: "count", Arg: command.RequiredArg, ArgName: "N", Help: "with --watch, stop after N frames"},
	},
	Run: runGraph,
}

// pipeEnd is a process's hold on a pipe or FIFO.
type pipeEnd struct {
	pid         int
	read, write bool
}

// pipeNode is one pipe or FIFO and its ends, or a connection between two
// Unix sockets (bidir: the holders of one end are its "writers", of the
// other its "readers").
type pipeNode struct {
	key   string // dev:ino
	label string // pipe:[INODE], the FIFO's path, socket:[INODE] NAME
	ends  []pipeEnd
	bidir bool
}

// graph is the processes and the pipes between them.
type graph struct {
	procs map[int]proc.Process
	pipes map[string]*pipeNode
	// io is each process's bytes read and written so far, for --watch,
	// at the time the scan began; cmd its command line then, to tell a
	// pid reused between two scans.
	io map[int][2]int64
	at time.Time
}

func runGraph(e *command.Env, p *command.Parsed) int {
	format := "tree"
	watch, interval, count := false, time.Second, 0
	for _, o := range p.Opts {
		switch o.Key() {
		case "dot", "mermaid":
			if format != "tree" && format != o.Key() {
				return e.Usage(errors.New("--dot and --mermaid are two formats: pick one"))
			}
			format = o.Key()
		default:
			var err error
			if watch, interval, count, err = watchOption(o, watch, interval, count); err != nil {
				return e.Usage(err)
			}
		}
	}
	if count > 0 && !watch {
		return e.Usage(errors.New("--count goes with --watch"))
	}
	var roots []int
	for _, a := range p.Operands {
		pid, err := strconv.Atoi(a)
		if err != nil || pid <= 0 {
			return e.Usage(fmt.Errorf("not a process id: %s", command.Quote(a)))
		}
		if _, err := proc.Get(pid); errors.Is(err, fs.ErrNotExist) {
			e.Errorf("graph: no process %d", pid)
			return 1
		}
		roots = append(roots, pid)
	}
	g, err := scanGraph(roots)
	if errors.Is(err, errors.ErrUnsupported) {
		e.Errorf("graph: the processes' pipes can be read on Linux only, not on %s", runtime.GOOS)
		return 1
	}
	if err != nil {
		e.Errorf("graph: %s", command.Strerror(err))
		return 1
	}
	if !watch {
		return e.Print(g.render(format, nil, time.Duration(0)))
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for frame := 1; ; frame++ {
		select {
		case <-tick.C:
		case <-e.Ctx.Done():
			return 0
		}
		next, err := scanGraph(roots)
		if err != nil {
			e.Errorf("graph: %s", command.Strerror(err))
			return 1
		}
		if st := e.Print(frameSeparator(e, false, frame) + next.render(format, g, interval)); st != 0 {
			return st
		}
		g = next
		if frame == count {
			return 0
		}
	}
}

// scanGraph reads the pipes of the processes: with roots, those and all
// their pipes reach; without, the caller's own.
func scanGraph(roots []int) (*graph, error) {
	pids, err := proc.PIDs()
	if err != nil {
		return nil, err
	}
	g := &graph{procs: map[int]proc.Process{}, pipes: map[string]*pipeNode{}, io: map[int][2]int64{}, at: time.Now()}
	self, uid := os.Getpid(), os.Getuid()
	sockets := map[uint64][]int{} // socket inode → the processes holding it
	for _, pid := range pids {
		if pid == self {
			continue
		}
		p, err := proc.Get(pid)
		if err != nil || (roots == nil && p.UID != uid) {
			continue
		}
		files, err := proc.Files(pid)
		if err != nil {
			continue
		}
		held := false
		for _, f := range files {
			if f.Mode&os.ModeSocket != 0 {
				sockets[f.Ino] = append(sockets[f.Ino], pid)
				held = true
				continue
			}
			if f.Mode&os.ModeNamedPipe == 0 {
				continue
			}
			r, w := proc.Ends(proc.FileFlags(pid, f.FD))
			key := strconv.FormatUint(f.Dev, 10) + ":" + strconv.FormatUint(f.Ino, 10)
			n := g.pipes[key]
			if n == nil {
				n = &pipeNode{key: key, label: proc.FileTarget(pid, f.FD)}
				g.pipes[key] = n
			}
			n.ends = append(n.ends, pipeEnd{pid: pid, read: r, write: w})
			held = true
		}
		if held {
			g.procs[pid] = p
			if r, w, err := proc.IO(pid); err == nil {
				g.io[pid] = [2]int64{r, w}
			}
		}
	}
	if len(sockets) > 0 {
		addSockets(g, sockets)
	}
	// Only pipes with a process at each end are edges.
	for k, n := range g.pipes {
		if len(n.writers()) == 0 || len(n.readers()) == 0 {
			delete(g.pipes, k)
		}
	}
	if roots != nil {
		g.keepReachable(roots)
	}
	// A process with no edge left is noise.
	used := map[int]bool{}
	for _, n := range g.pipes {
		for _, e := range n.ends {
			used[e.pid] = true
		}
	}
	for pid := range g.procs {
		if !used[pid] {
			delete(g.procs, pid)
		}
	}
	return g, nil
}

// addSockets adds to g a node for each connected pair of Unix sockets
// whose ends processes of g hold (sockets: inode → holders).
func addSockets(g *graph, sockets map[uint64][]int) {
	all, err := proc.UnixSockets()
	if err != nil {
		return // not drawn: the pipes still are
	}
	for ino, holders := range sockets {
		s, ok := all[ino]
		peers := sockets[s.Peer]
		// Met from the other end: a pair whose peer points back is drawn
		// once, from the lower inode (a datagram client's peer, a server
		// socket, points nowhere).
		if !ok || s.Peer == 0 || len(peers) == 0 || (ino > s.Peer && all[s.Peer].Peer == ino) {
			continue
		}
		name := s.Name
		if name == "" {
			name = all[s.Peer].Name
		}
		label := "socket:[" + strconv.FormatUint(ino, 10) + "]"
		if name != "" {
			label += " " + name
		}
		// Drawn from the side with the lower pid, usually the older.
		if slices.Min(peers) < slices.Min(holders) {
			holders, peers = peers, holders
		}
		n := &pipeNode{key: "socket:" + strconv.FormatUint(ino, 10), label: label, bidir: true}
		for _, pid := range holders {
			n.ends = append(n.ends, pipeEnd{pid: pid, write: true})
		}
		for _, pid := range peers {
			n.ends = append(n.ends, pipeEnd{pid: pid, read: true})
		}
		g.pipes[n.key] = n
	}
}

func (n *pipeNode) writers() []int { return n.pids(func(e pipeEnd) bool { return e.write }) }
func (n *pipeNode) readers() []int { return n.pids(func(e pipeEnd) bool { return e.read }) }

// pids are the distinct processes of n's ends that match, in order.
func (n *pipeNode) pids(match func(pipeEnd) bool) []int {
	seen := map[int]bool{}
	var out []int
	for _, e := range n.ends {
		if match(e) && !seen[e.pid] {
			seen[e.pid] = true
			out = append(out, e.pid)
		}
	}
	sort.Ints(out)
	return out
}

// keepReachable keeps the pipes that roots reach, through pipes in either
// direction.
func (g *graph) keepReachable(roots []int) {
	reached := map[int]bool{}
	queue := append([]int(nil), roots...)
	for _, r := range roots {
		reached[r] = true
	}
	byPID := map[int][]*pipeNode{}
	for _, n := range g.pipes {
		for _, e := range n.ends {
			byPID[e.pid] = append(byPID[e.pid], n)
		}
	}
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		for _, n := range byPID[pid] {
			for _, e := range n.ends {
				if !reached[e.pid] {
					reached[e.pid] = true
					queue = append(queue, e.pid)
				}
			}
		}
	}
	for k, n := range g.pipes {
		if !reached[n.ends[0].pid] {
			delete(g.pipes, k)
		}
	}
}

// edge is a pipe from a writer to a reader, or a socket connection.
type edge struct {
	from, to int
	label    string
	bidir    bool
}

// edges are g's edges, in a stable order: by writer, reader, label.
func (g *graph) edges() []edge {
	var es []edge
	for _, n := range g.pipes {
		for _, w := range n.writers() {
			for _, r := range n.readers() {
				if w != r {
					es = append(es, edge{w, r, n.label, n.bidir})
				}
			}
		}
	}
	sort.Slice(es, func(i, j int) bool {
		a, b := es[i], es[j]
		if a.from != b.from {
			return a.from < b.from
		}
		if a.to != b.to {
			return a.to < b.to
		}
		return a.label < b.label
	})
	return es
}

// procLabel is "PID COMMAND LINE", with what --watch measured since prev.
func (g *graph) procLabel(pid int, prev *graph, interval time.Duration) string {
	p := g.procs[pid]
	l := strconv.Itoa(pid) + " " + commandLine(p.Command)
	// A graph is read at a glance: a long command line (an environment
	// passed as JSON, say) is cut.
	if r := []rune(l); len(r) > maxLabel {
		l = string(r[:maxLabel-1]) + "…"
	}
	if prev == nil {
		return l
	}
	var notes []string
	// Over the time between the scans, not the interval asked for: a scan
	// of many processes takes a while. A pid whose command changed is
	// another process.
	if now, ok := g.io[pid]; ok {
		then, ok := prev.io[pid]
		same := slices.Equal(prev.procs[pid].Command, p.Command)
		if secs := g.at.Sub(prev.at).Seconds(); ok && same && secs > 0 && now[0] >= then[0] && now[1] >= then[1] {
			notes = append(notes, "in "+rate(float64(now[0]-then[0])/secs), "out "+rate(float64(now[1]-then[1])/secs))
		}
	}
	switch {
	case strings.HasSuffix(p.Wchan, "pipe_read"):
		notes = append(notes, "waiting for input")
	case strings.HasSuffix(p.Wchan, "pipe_write"):
		notes = append(notes, "blocked writing: its reader is slower")
	case p.Wchan == "wait_for_partner":
		notes = append(notes, "opening a FIFO, waiting for the other end")
	}
	if len(notes) > 0 {
		l += " [" + strings.Join(notes, ", ") + "]"
	}
	return l
}

// maxLabel is how much of a process's command line a graph shows.
const maxLabel = 72

// rate is bytes a second as progress shows them.
func rate(bps float64) string { return command.FormatBytes(int64(bps)) + "/s" }

func (g *graph) render(format string, prev *graph, interval time.Duration) string {
	var b strings.Builder
	es := g.edges()
	switch format {
	case "dot":
		b.WriteString("digraph pipes {\n\trankdir=LR;\n")
		for _, pid := range g.sortedPIDs() {
			fmt.Fprintf(&b, "\tp%d [label=%s];\n", pid, strconv.Quote(g.procLabel(pid, prev, interval)))
		}
		for _, e := range es {
			dir := ""
			if e.bidir {
				dir = ", dir=both"
			}
			fmt.Fprintf(&b, "\tp%d -> p%d [label=%s%s];\n", e.from, e.to, strconv.Quote(e.label), dir)
		}
		b.WriteString("}\n")
	case "mermaid":
		b.WriteString("flowchart LR\n")
		for _, pid := range g.sortedPIDs() {
			fmt.Fprintf(&b, "    p%d[\"%s\"]\n", pid, mermaidText(g.procLabel(pid, prev, interval)))
		}
		for _, e := range es {
			arrow := "-->"
			if e.bidir {
				arrow = "<-->"
			}
			fmt.Fprintf(&b, "    p%d %s|\"%s\"| p%d\n", e.from, arrow, mermaidText(e.label), e.to)
		}
	default:
		g.tree(&b, es, prev, interval)
	}
	return b.String()
}

func (g *graph) sortedPIDs() []int {
	var ps []int
	for pid := range g.procs {
		ps = append(ps, pid)
	}
	sort.Ints(ps)
	return ps
}

// mermaidText escapes s for a quoted Mermaid label.
func mermaidText(s string) string {
	return strings.NewReplacer(`"`, "#quot;", "\n", " ").Replace(command.Visible(s))
}

// tree writes the graph as indented chains: from each process that
// nothing feeds, down its pipes; a process met again is named, not
// repeated.
func (g *graph) tree(b *strings.Builder, es []edge, prev *graph, interval time.Duration) {
	out := map[int][]edge{}
	fed := map[int]bool{}
	for _, e := range es {
		out[e.from] = append(out[e.from], e)
		fed[e.to] = true
	}
	shown := map[int]bool{}
	var walk func(pid int, indent string)
	walk = func(pid int, indent string) {
		for i, e := range out[pid] {
			arrow := "→"
			if e.bidir {
				arrow = "↔"
			}
			// As tree(1) draws: ├─ for a branch with more below it.
			branch, more := "└─", "   "
			if i < len(out[pid])-1 {
				branch, more = "├─", "│  "
			}
			fmt.Fprintf(b, "%s%s %s %s ", indent, branch, command.Visible(e.label), arrow)
			if shown[e.to] {
				fmt.Fprintf(b, "%d (above)\n", e.to)
				continue
			}
			shown[e.to] = true
			b.WriteString(command.Visible(g.procLabel(e.to, prev, interval)) + "\n")
			walk(e.to, indent+more)
		}
	}
	starts := g.sortedPIDs()
	// Sources first; then whatever a cycle left unshown.
	sort.SliceStable(starts, func(i, j int) bool { return !fed[starts[i]] && fed[starts[j]] })
	for _, pid := range starts {
		if shown[pid] || len(out[pid]) == 0 && fed[pid] {
			continue
		}
		shown[pid] = true
		b.WriteString(command.Visible(g.procLabel(pid, prev, interval)) + "\n")
		walk(pid, "  ")
	}
	if len(es) == 0 {
		b.WriteString("no pipes between the processes shown\n")
	}
}
