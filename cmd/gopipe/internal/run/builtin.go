package run

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command"
	"github.com/gopipe/gopipe/fifo"
	"github.com/gopipe/gopipe/pipeline"
)

// The builtins are the commands a shell runs itself: cd, which changes the
// directory of the commands that follow, and exit, which ends the
// one-liner, because no program could do what they do; true, false and :,
// because starting a program to do nothing costs more than the rest of a
// one-liner. Each gets its args (the name first), and an env whose Stdout
// and Stderr are the command's, after its redirections.
type builtin func(r *runner, e *command.Env, args []string) int

var builtins map[string]builtin

func init() {
	builtins = map[string]builtin{
		"cd": (*runner).cd, "exit": (*runner).exit,
		"true": status(0), ":": status(0), "false": status(1),
	}
}

func status(n int) builtin {
	return func(*runner, *command.Env, []string) int { return n }
}

// inSubshell tells whether the builtin name, as a stage of a pipeline, runs
// in a subshell of its own (see subshell): cd, exit and :, and true and
// false where no program of that name does the same.
func inSubshell(name string) bool {
	switch name {
	case "true", "false":
		_, err := exec.LookPath(name)
		return err != nil
	}
	return builtins[name] != nil
}

// builtin runs the builtin b as the one command of a pipeline, in the
// one-liner's own state, as a shell runs it, with its redirections.
func (r *runner) builtin(s pipeline.Stage, b builtin) int {
	e := *r.e
	if len(s.Redirects) > 0 {
		r.watch() // opening a FIFO waits, until a signal says stop
	}
	ctx, cancel := context.WithCancel(r.e.Ctx)
	defer cancel()
	r.mu.Lock()
	if r.stopped != nil {
		r.mu.Unlock()
		return command.SignalStatus(r.stopped)
	}
	r.cancel = cancel
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.cancel = nil
		r.mu.Unlock()
	}()
	fds := [3]any{e.Stdin, e.Stdout, e.Stderr}
	var files []*os.File
	defer func() {
		for _, f := range files {
			fifo.Close(f)
		}
	}()
	s.Dir = r.dir
	for _, rd := range s.Redirects {
		if rd.Op == pipeline.Dup {
			fds[rd.FD] = fds[rd.Src]
			continue
		}
		f, err := pipeline.OpenRedirect(ctx, s.Redirected(rd))
		if err != nil {
			r.mu.Lock()
			sig := r.stopped
			r.mu.Unlock()
			if sig != nil {
				return command.SignalStatus(sig)
			}
			r.report(s.Args[0], pipeline.Status{Code: 1, Err: err})
			return 1
		}
		files = append(files, f)
		fds[rd.FD] = f
	}
	e.Stdout, e.Stderr = writer(fds[1]), writer(fds[2])
	return b(r, &e, s.Args)
}

// writer is what a builtin writes to as fd: nothing if it is open only
// for reading.
func writer(fd any) io.Writer {
	if w, ok := fd.(io.Writer); ok {
		return w
	}
	return io.Discard
}

// subshell is the command line of a stage that runs the builtin args in a
// pipeline: as a shell runs it in a subshell, whose cd or exit ends with
// it, this one runs it in a run of its own. A bare exit there exits with
// the status before the pipeline, as in a subshell.
func (r *runner) subshell(args []string) []string {
	if len(args) == 1 && args[0] == "exit" {
		args = []string{"exit", strconv.Itoa(r.last)}
	}
	words := make([]string, len(args))
	for i, a := range args {
		words[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return []string{"gopipe", "run", strings.Join(words, " ")}
}

// exit ends the one-liner with status N (modulo 256), or the last
// command's status without N, as sh's exit does.
func (r *runner) exit(e *command.Env, args []string) int {
	r.exited = true
	switch len(args) {
	case 1:
		return r.last
	case 2:
		n, err := strconv.Atoi(args[1])
		if err != nil {
			e.Errorf("run: exit: %s: numeric argument required", args[1])
			return 2
		}
		return n & 0xff
	}
	e.Errorf("run: exit: too many arguments")
	return 1
}

// cd [-L|-P] [DIR|-] changes the directory of the commands that follow
// in the one-liner, as sh's cd does: DIR, else $HOME; - is $OLDPWD,
// printed. -L (the default) takes .. logically, against the path that
// led here; -P resolves symbolic links first. PWD and OLDPWD follow, for
// the commands to see.
func (r *runner) cd(e *command.Env, args []string) int {
	args = args[1:]
	physical := false
options:
	for len(args) > 0 && len(args[0]) > 1 && args[0][0] == '-' {
		if args[0] == "--" {
			args = args[1:]
			break
		}
		for _, c := range args[0][1:] {
			switch c {
			case 'L':
				physical = false
			case 'P':
				physical = true
			default:
				e.Errorf("run: cd: %s: invalid option", args[0])
				return 2
			}
		}
		args = args[1:]
		continue options
	}
	var target string
	show := false
	switch len(args) {
	case 0:
		home, ok := os.LookupEnv("HOME")
		if !ok {
			e.Errorf("run: cd: HOME not set")
			return 1
		}
		target = home
	case 1:
		target = args[0]
		if target == "-" {
			target, show = r.oldPWD(), true
			if target == "" {
				e.Errorf("run: cd: OLDPWD not set")
				return 1
			}
		}
	default:
		e.Errorf("run: cd: too many arguments")
		return 1
	}
	cwd := r.cwd()
	if target == "" {
		// sh leaves an empty DIR unspecified; bash stays where it is.
		return 0
	}
	raw := target
	if !filepath.IsAbs(raw) {
		raw = cwd + string(filepath.Separator) + raw
	}
	// The path as given must lead somewhere, .. and all, before .. is
	// taken logically (nodir/.. is an error, as in bash).
	dir := filepath.Clean(raw)
	err := enterable(raw)
	if err == nil && physical {
		dir, err = filepath.EvalSymlinks(dir)
	}
	if err == nil {
		err = enterable(dir)
	}
	if err != nil {
		e.Errorf("run: cd: %s: %s", target, command.Strerror(err))
		return 1
	}
	r.oldDir, r.dir = cwd, dir
	r.env = setEnv(os.Environ(), "PWD="+dir, "OLDPWD="+cwd)
	if show {
		io.WriteString(e.Stdout, dir+"\n")
	}
	return 0
}

// cwd is the one-liner's working directory, as the path that led there:
// $PWD if it names ours, as a shell takes it.
func (r *runner) cwd() string {
	if r.dir != "" {
		return r.dir
	}
	wd, err := os.Getwd()
	if pwd := os.Getenv("PWD"); filepath.IsAbs(pwd) {
		a, err1 := os.Stat(pwd)
		b, err2 := os.Stat(".")
		if err1 == nil && err2 == nil && os.SameFile(a, b) {
			return pwd
		}
	}
	if err != nil {
		return "."
	}
	return wd
}

func (r *runner) oldPWD() string {
	if r.dir != "" {
		return r.oldDir
	}
	return os.Getenv("OLDPWD")
}

// enterable is nil if dir is a directory that cd may enter.
func enterable(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return &os.PathError{Op: "chdir", Path: dir, Err: syscall.ENOTDIR}
	}
	return searchable(dir)
}

// setEnv is env with each of the NAME=VALUE vars set.
func setEnv(env []string, vars ...string) []string {
	out := env[:0:0]
	for _, kv := range env {
		keep := true
		for _, v := range vars {
			if name := v[:strings.IndexByte(v, '=')+1]; strings.HasPrefix(kv, name) {
				keep = false
			}
		}
		if keep {
			out = append(out, kv)
		}
	}
	return append(out, vars...)
}
