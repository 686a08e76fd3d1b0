// Package oneliner parses the POSIX shell one-liners gopipe runs without a
// shell: commands, quoting ('…', "…", \), pipes |, the redirections < > >>
// 2> 2>> 2>&1 (N< N> N>> N>&M for N, M in 0, 1, 2), and lists with && || ;
// and newlines. Anything else (variables, $(…), globs, if, …) is refused,
// naming it. mvdan.cc/sh/v3's syntax package does the parsing; this one
// turns its tree into package pipeline's stages.
package oneliner

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"mvdan.cc/sh/v3/syntax"

	"github.com/gopipe/gopipe/pipeline"
)

// A Node is a parsed one-liner: a *List or a *Pipe.
type Node interface{ node() }

// A List is two one-liners joined by ";", "&&" or "||".
type List struct {
	Op   string // ";", "&&" or "||"
	X, Y Node
}

// A Pipe is a pipeline of simple commands, each with its redirections.
type Pipe struct{ Stages []pipeline.Stage }

func (*List) node() {}
func (*Pipe) node() {}

// UnsupportedError names a construct outside the subset.
type UnsupportedError struct{ What string }

func (u *UnsupportedError) Error() string { return "unsupported: " + u.What }

func unsupported(what string) error { return &UnsupportedError{what} }

// Parse parses src as POSIX shell and turns it into a tree of pipelines,
// or says what it holds outside the subset: a *syntax.ParseError for a
// syntax error, an *UnsupportedError for the rest.
func Parse(src string) (Node, error) {
	f, err := syntax.NewParser(syntax.Variant(syntax.LangPOSIX)).Parse(strings.NewReader(src), "")
	if err != nil {
		return nil, err
	}
	var list Node
	for _, st := range f.Stmts {
		n, err := stmtNode(st)
		if err != nil {
			return nil, err
		}
		if list == nil {
			list = n
		} else {
			list = &List{Op: ";", X: list, Y: n}
		}
	}
	return list, nil
}

func stmtNode(st *syntax.Stmt) (Node, error) {
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
		return &Pipe{Stages: []pipeline.Stage{s}}, nil
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
			return &List{Op: c.Op.String(), X: x, Y: y}, nil
		case syntax.Pipe:
			p := &Pipe{}
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
func flattenPipe(st *syntax.Stmt, p *Pipe) error {
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
	p.Stages = append(p.Stages, s)
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
	if lit, ok := w.Parts[0].(*syntax.Lit); ok && len(w.Parts) == 1 && lit.Value == "[" {
		// Most likely the test command, which a shell would run as it is
		// ("[" alone matches nothing), but which is a glob here.
		return "", unsupported(`glob pattern "[" (for the test command write test … or quote it: '[' … ])`)
	}
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

// Words splits a command line into words exactly as Parse does (quotes and
// backslashes, no expansions, unquoted globs refused), for a command line
// that must be one simple command (serve --exec).
func Words(src string) ([]string, error) {
	n, err := Parse(src)
	if err != nil {
		return nil, err
	}
	if n == nil {
		return nil, errors.New("no command")
	}
	p, ok := n.(*Pipe)
	if !ok || len(p.Stages) != 1 || len(p.Stages[0].Redirects) != 0 {
		return nil, errors.New("one command, without | ; && || or redirections")
	}
	return p.Stages[0].Args, nil
}
