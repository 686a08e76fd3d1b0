package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"

	"mvdan.cc/sh/v3/syntax"

	"github.com/gopipe/gopipe/pipeline"
)

const runHelp = `Usage: gopipe run [OPTION]... 'ONE-LINER'
Run a POSIX shell one-liner without a shell, the same on Unix and Windows.
It may hold commands, quoting ('…', "…", \), pipes |, the redirections
< > >> 2> 2>> 2>&1 (and N< N> N>> N>&M for N, M in 0, 1, 2), and lists
with && || ; and newlines. Anything else (variables, $(…), globs, if, …) is
refused, naming it. A command called gopipe is this program.

  --pipefail     a pipeline's status is its rightmost failure's, not counting
                 a producer that failed because its consumer had gone
  --pipestatus   after each pipeline, print every stage's status to stderr
      --help     display this help and exit

Exit status: the last pipeline's; 2 if the one-liner is refused.
`

var runOpts = []optSpec{
	{long: "pipefail"},
	{long: "pipestatus"},
	{long: "help"},
}

func runRun(e *env, args []string) int {
	opts, operands, err := getopt(args, runOpts)
	if err != nil {
		return e.usage(err)
	}
	r := &runner{e: e}
	for _, o := range opts {
		switch o.key() {
		case "help":
			fmt.Fprint(e.stdout, runHelp)
			return 0
		case "pipefail":
			r.pipefail = true
		case "pipestatus":
			r.pipestatus = true
		}
	}
	if len(operands) != 1 {
		return e.usage(errors.New("run takes one ONE-LINER (quote it)"))
	}
	list, err := parseOneLiner(operands[0])
	if err != nil {
		var pe syntax.ParseError
		if errors.As(err, &pe) {
			e.errorf("run: syntax error: %v", err)
		} else {
			e.errorf("run: %v", err)
		}
		return 2
	}

	defer onSignals(e, r.signal)()
	return r.exec(list)
}

// The one-liner's tree: pipelines joined by ; && ||.
type (
	node     interface{}
	listNode struct {
		op   string // ";", "&&" or "||"
		x, y node
	}
	pipeNode struct{ stages []pipeline.Stage }
)

// unsupportedError names a construct outside the subset.
type unsupportedError struct{ what string }

func (u *unsupportedError) Error() string { return "unsupported: " + u.what }

func unsupported(what string) error { return &unsupportedError{what} }

// parseOneLiner parses src as POSIX shell and turns it into our tree, or
// says what it holds that we do not run.
func parseOneLiner(src string) (node, error) {
	f, err := syntax.NewParser(syntax.Variant(syntax.LangPOSIX)).Parse(strings.NewReader(src), "")
	if err != nil {
		return nil, err
	}
	var list node
	for _, st := range f.Stmts {
		n, err := stmtNode(st)
		if err != nil {
			return nil, err
		}
		if list == nil {
			list = n
		} else {
			list = &listNode{op: ";", x: list, y: n}
		}
	}
	return list, nil
}

func stmtNode(st *syntax.Stmt) (node, error) {
	switch {
	case st.Negated:
		return nil, unsupported("negation !")
	case st.Background:
		return nil, unsupported("background job &")
	case st.Coprocess:
		return nil, unsupported("coprocess")
	}
	switch c := st.Cmd.(type) {
	case nil:
		return nil, unsupported("redirection without a command")
	case *syntax.CallExpr:
		s, err := stageOf(st)
		if err != nil {
			return nil, err
		}
		return &pipeNode{stages: []pipeline.Stage{s}}, nil
	case *syntax.BinaryCmd:
		if len(st.Redirs) > 0 {
			return nil, unsupported("redirection of a list")
		}
		switch c.Op {
		case syntax.AndStmt, syntax.OrStmt:
			x, err := stmtNode(c.X)
			if err != nil {
				return nil, err
			}
			y, err := stmtNode(c.Y)
			if err != nil {
				return nil, err
			}
			return &listNode{op: c.Op.String(), x: x, y: y}, nil
		case syntax.Pipe:
			p := &pipeNode{}
			if err := flattenPipe(st, p); err != nil {
				return nil, err
			}
			return p, nil
		}
		return nil, unsupported(c.Op.String())
	}
	return nil, unsupported(commandName(st.Cmd))
}

// flattenPipe appends the stages of the pipeline st to p.
func flattenPipe(st *syntax.Stmt, p *pipeNode) error {
	if b, ok := st.Cmd.(*syntax.BinaryCmd); ok && b.Op == syntax.Pipe && len(st.Redirs) == 0 && !st.Negated {
		if err := flattenPipe(b.X, p); err != nil {
			return err
		}
		return flattenPipe(b.Y, p)
	}
	if _, ok := st.Cmd.(*syntax.CallExpr); !ok {
		n, err := stmtNode(st) // for the error naming what it is
		if err == nil {
			err = unsupported(fmt.Sprintf("%T in a pipeline", n))
		}
		return err
	}
	if st.Negated || st.Background || st.Coprocess {
		_, err := stmtNode(st)
		return err
	}
	s, err := stageOf(st)
	if err != nil {
		return err
	}
	p.stages = append(p.stages, s)
	return nil
}

// commandName names a compound command for an error.
func commandName(c syntax.Command) string {
	switch c := c.(type) {
	case *syntax.Subshell:
		return "subshell ( … )"
	case *syntax.Block:
		return "block { … }"
	case *syntax.IfClause:
		return "if"
	case *syntax.WhileClause:
		if c.Until {
			return "until loop"
		}
		return "while loop"
	case *syntax.ForClause:
		return "for loop"
	case *syntax.CaseClause:
		return "case"
	case *syntax.FuncDecl:
		return "function definition"
	case *syntax.ArithmCmd:
		return "arithmetic command (( … ))"
	case *syntax.TestClause:
		return "test [[ … ]]"
	case *syntax.DeclClause:
		return "declaration " + c.Variant.Value
	case *syntax.LetClause:
		return "let"
	case *syntax.TimeClause:
		return "time"
	case *syntax.CoprocClause:
		return "coprocess"
	}
	return fmt.Sprintf("%T", c)
}

// stageOf turns a simple command and its redirections into a stage.
func stageOf(st *syntax.Stmt) (pipeline.Stage, error) {
	var s pipeline.Stage
	call := st.Cmd.(*syntax.CallExpr)
	if len(call.Assigns) > 0 {
		return s, unsupported("variable assignment " + call.Assigns[0].Name.Value + "=")
	}
	for _, w := range call.Args {
		a, err := wordString(w)
		if err != nil {
			return s, err
		}
		s.Args = append(s.Args, a)
	}
	if len(s.Args) == 0 {
		return s, unsupported("redirection without a command")
	}
	for _, r := range st.Redirs {
		rd, err := redirectOf(r)
		if err != nil {
			return s, err
		}
		s.Redirects = append(s.Redirects, rd)
	}
	return s, nil
}

func redirectOf(r *syntax.Redirect) (pipeline.Redirect, error) {
	var rd pipeline.Redirect
	switch r.Op {
	case syntax.RdrOut:
		rd.FD, rd.Op = 1, pipeline.Output
	case syntax.AppOut:
		rd.FD, rd.Op = 1, pipeline.Append
	case syntax.RdrIn:
		rd.FD, rd.Op = 0, pipeline.Input
	case syntax.DplOut:
		rd.FD, rd.Op = 1, pipeline.Dup
	default:
		return rd, unsupported("redirection " + r.Op.String())
	}
	if r.N != nil {
		n, err := fdNumber(r.N.Value)
		if err != nil {
			return rd, err
		}
		rd.FD = n
	}
	word, err := wordString(r.Word)
	if err != nil {
		return rd, err
	}
	if rd.Op == pipeline.Dup {
		if rd.Src, err = fdNumber(word); err != nil {
			return rd, unsupported(fmt.Sprintf("redirection >&%s (only N>&M with M in 0, 1, 2)", word))
		}
		return rd, nil
	}
	rd.Name = word
	return rd, nil
}

func fdNumber(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 2 {
		return 0, unsupported("file descriptor " + s + " (only 0, 1, 2)")
	}
	return n, nil
}

// wordString is the value of a word that needs no expansion: literal text
// and quotes only.
func wordString(w *syntax.Word) (string, error) {
	var b strings.Builder
	for i, part := range w.Parts {
		switch p := part.(type) {
		case *syntax.Lit:
			if i == 0 && strings.HasPrefix(p.Value, "~") {
				return "", unsupported("tilde expansion ~")
			}
			if err := unquoted(&b, p.Value); err != nil {
				return "", err
			}
		case *syntax.SglQuoted:
			if p.Dollar {
				return "", unsupported("$'…' quoting")
			}
			b.WriteString(p.Value)
		case *syntax.DblQuoted:
			if p.Dollar {
				return "", unsupported(`$"…" quoting`)
			}
			for _, q := range p.Parts {
				lit, ok := q.(*syntax.Lit)
				if !ok {
					return "", unsupported(partName(q))
				}
				doubleQuoted(&b, lit.Value)
			}
		default:
			return "", unsupported(partName(part))
		}
	}
	return b.String(), nil
}

func partName(p syntax.WordPart) string {
	switch p := p.(type) {
	case *syntax.ParamExp:
		if p.Param != nil {
			return "parameter expansion $" + p.Param.Value
		}
		return "parameter expansion"
	case *syntax.CmdSubst:
		return "command substitution $(…)"
	case *syntax.ArithmExp:
		return "arithmetic expansion $((…))"
	case *syntax.ProcSubst:
		return "process substitution"
	case *syntax.ExtGlob:
		return "extended glob"
	case *syntax.BraceExp:
		return "brace expansion"
	}
	return fmt.Sprintf("%T", p)
}

// unquoted writes the unquoted text s less its backslashes, refusing
// unescaped glob characters, which a shell would expand and Windows would
// not.
func unquoted(b *strings.Builder, s string) error {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 < len(s) {
				i++
				if s[i] != '\n' {
					b.WriteByte(s[i])
				}
			}
		case '*', '?', '[':
			return unsupported(fmt.Sprintf("glob pattern %q (quote it)", s))
		default:
			b.WriteByte(c)
		}
	}
	return nil
}

// doubleQuoted writes s as in double quotes, where a backslash escapes only
// $ ` " \ and newline.
func doubleQuoted(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\\n", s[i+1]) >= 0 {
			i++
			if s[i] != '\n' {
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(s[i])
	}
}

// runner runs a parsed one-liner.
type runner struct {
	e                    *env
	pipefail, pipestatus bool

	mu      sync.Mutex
	current *pipeline.Pipeline
	stopped os.Signal // a signal that ends the list
}

func (r *runner) signal(sig os.Signal) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if endsWait(sig) && r.stopped == nil {
		r.stopped = sig
	}
	if r.current != nil {
		r.current.Signal(sig)
	}
}

func (r *runner) exec(n node) int {
	switch n := n.(type) {
	case nil:
		return 0
	case *listNode:
		status := r.exec(n.x)
		if r.stop() {
			return status
		}
		switch {
		case n.op == "&&" && status != 0, n.op == "||" && status == 0:
			return status
		}
		return r.exec(n.y)
	case *pipeNode:
		return r.pipe(n)
	}
	panic(fmt.Sprintf("run: node %T", n))
}

// stop reports whether the list must stop: a signal came, or the context
// ended.
func (r *runner) stop() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stopped != nil || r.e.ctx.Err() != nil
}

func (r *runner) pipe(n *pipeNode) int {
	e := r.e
	p := &pipeline.Pipeline{
		Stdin: e.stdin, Stdout: e.stdout, Stderr: e.stderr,
		Pipefail: r.pipefail,
	}
	for _, s := range n.stages {
		s.Path = selfPath(s.Args[0])
		p.Stages = append(p.Stages, s)
	}
	if f, ok := e.stdin.(*os.File); ok {
		p.Terminal = f
	}
	r.mu.Lock()
	if r.stopped != nil {
		r.mu.Unlock()
		return signalStatus(r.stopped)
	}
	r.current = p
	r.mu.Unlock()
	res, err := p.Run(e.ctx)
	r.mu.Lock()
	r.current = nil
	r.mu.Unlock()
	if res == nil {
		e.errorf("run: %v", err)
		return statusFailed
	}
	for i, st := range res.Stages {
		e.stageStatus("run: "+p.Stages[i].Args[0], st)
	}
	if r.pipestatus {
		var b strings.Builder
		for i, st := range res.Stages {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(st.String())
		}
		e.errorf("run: pipestatus: %s", b.String())
	}
	// Like bash, stop the list when the terminal's ctrl-C killed the
	// pipeline: it went to the stages, not to us.
	for _, st := range res.Stages {
		if isInterrupt(st.Signal) {
			r.mu.Lock()
			if r.stopped == nil {
				r.stopped = st.Signal
			}
			r.mu.Unlock()
		}
	}
	return res.Code
}
