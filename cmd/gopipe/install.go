package main

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command"
)

// installSpec is gopipe --install, which makes links named after the
// commands, as busybox --install does, but by default only for the drop-in
// ones (command.Spec.DropIn): a link called ls or info in a directory early
// on PATH would take those names from the system's commands, which gopipe's
// do not replace. It is hidden from the command list (no Summary) and
// parsed from its table like any command.
var installSpec = &command.Spec{
	Name:     "--install",
	Synopsis: "[-s] [-f] [--all] DIR",
	Intro: `Make links in DIR (created if need be) named after gopipe's commands, so
that each runs by its own name: by default the drop-in ones,
  ` + dropInNames() + `
and with --all every command. A file already at DIR/NAME is left alone
unless -f is given. Then say which commands on PATH the new links shadow.

`,
	Options: []command.Option{
		{Short: 's', Long: "symbolic", Help: "make symbolic links, not hard links"},
		{Short: 'f', Long: "force", Help: "replace files already at DIR/NAME"},
		{Long: "all", Help: "link every command, also those whose names\nshadow common system commands (ls, info, run…),\nwarning for each that does"},
	},
	Outro: `On Windows the names get .exe, and a copy stands in where a hard link is
impossible. 'gopipe --uninstall DIR' removes the links again.
`,
	Run: runInstall,
}

// uninstallSpec is gopipe --uninstall: it removes from DIR what --install
// made there, and nothing else.
var uninstallSpec = &command.Spec{
	Name:     "--uninstall",
	Synopsis: "DIR",
	Intro: `Remove from DIR the links named after gopipe's commands that lead to this
gopipe (on Windows, also copies of it). Other files are left alone, whatever
their names.

`,
	Run: runUninstall,
}

// dropInNames is the names --install links by default.
func dropInNames() string {
	var names []string
	for _, c := range documented() {
		if c.DropIn {
			names = append(names, c.Names()...)
		}
	}
	return strings.Join(names, ", ")
}

// exeSuffix is what a program's name ends with on this OS.
func exeSuffix() string {
	if runtime.GOOS == "windows" {
		return ".exe"
	}
	return ""
}

// self is this program's file, its links resolved: what links lead to.
func self() (string, os.FileInfo, error) {
	path, err := os.Executable()
	if err == nil {
		path, err = filepath.EvalSymlinks(path)
	}
	if err != nil {
		return "", nil, fmt.Errorf("cannot find this program: %v", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return "", nil, fmt.Errorf("cannot find this program: %s", command.Strerror(err))
	}
	return path, fi, nil
}

func runInstall(e *command.Env, p *command.Parsed) int {
	var symbolic, force, all bool
	for _, o := range p.Opts {
		switch o.Key() {
		case "symbolic":
			symbolic = true
		case "force":
			force = true
		case "all":
			all = true
		}
	}
	if len(p.Operands) != 1 {
		return e.Usage(errors.New("want one DIR"))
	}
	dir := p.Operands[0]
	selfPath, selfInfo, err := self()
	if err != nil {
		e.Errorf("%v", err)
		return command.StatusFailure
	}
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		e.Errorf("cannot install in %s: %s", command.Quote(dir), command.Strerror(syscall.ENOTDIR))
		return command.StatusFailure
	} else if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o777); err != nil {
			e.Errorf("cannot create directory %s: %s", command.Quote(dir), command.Strerror(err))
			return command.StatusFailure
		}
		e.Print(fmt.Sprintf("made directory %s\n", dir))
	}
	how := map[bool]string{false: "hard link", true: "symbolic link"}[symbolic]
	status := 0
	var linked []*command.Spec
	var linkedNames []string
	for _, c := range documented() {
		if !c.DropIn && !all {
			continue
		}
		for _, name := range c.Names() {
			dst := filepath.Join(dir, name+exeSuffix())
			made, err := place(selfPath, selfInfo, dst, symbolic, force)
			if err != nil {
				e.Errorf("cannot install %s: %s", command.Quote(dst), err)
				status = command.StatusFailure
				continue
			}
			if made == "" {
				e.Print(fmt.Sprintf("kept %s (already this gopipe)\n", dst))
				continue
			}
			what := how + " to " + selfPath
			if made == "copy" {
				what = "copy of " + selfPath
			}
			e.Print(fmt.Sprintf("made %s (%s)\n", dst, what))
			linked = append(linked, c)
			linkedNames = append(linkedNames, name)
		}
	}
	shadowReport(e, dir, linked, linkedNames, selfInfo)
	return status
}

// place puts a link to self at dst, replacing a file there only if force:
// it says "link" or "copy" for what it made, "" if dst already was self.
func place(self string, selfInfo os.FileInfo, dst string, symbolic, force bool) (string, error) {
	fi, err := os.Lstat(dst)
	switch {
	case err == nil && isSelf(dst, self, selfInfo) && (!force || (fi.Mode()&fs.ModeSymlink != 0) == symbolic):
		// Ours already; with -f, a link of the other kind is made anew.
		return "", nil
	case err == nil && fi.IsDir():
		return "", errors.New("Is a directory")
	case err == nil && !force:
		return "", errors.New("File exists (-f replaces it)")
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return "", errors.New(command.Strerror(err))
	}
	// Made beside dst and renamed over it, so that a replaced command is
	// never missing from PATH, not even for a moment.
	tmp := filepath.Join(filepath.Dir(dst), ".gopipe-install-"+rand.Text()[:12]+"-"+filepath.Base(dst))
	made, err := link(self, tmp, symbolic)
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		os.Remove(tmp)
		msg := command.Strerror(err)
		if errors.Is(err, syscall.EXDEV) {
			msg += " (-s makes symbolic links, which can)"
		}
		return "", errors.New(msg)
	}
	return made, nil
}

// link makes dst a link to self, or on Windows a copy where a hard link is
// impossible (another volume).
func link(self, dst string, symbolic bool) (string, error) {
	if symbolic {
		return "link", os.Symlink(self, dst)
	}
	err := os.Link(self, dst)
	if err == nil || runtime.GOOS != "windows" || errors.Is(err, fs.ErrExist) {
		return "link", err
	}
	return "copy", copyFile(self, dst)
}

// isSelf tells whether the file at path is this gopipe: a link to it, or
// on Windows a copy (a copy is all --install can make across volumes, and
// Wine gives a hard link a file id of its own).
func isSelf(path, selfPath string, selfInfo os.FileInfo) bool {
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return false
	}
	if os.SameFile(fi, selfInfo) {
		return true
	}
	if runtime.GOOS != "windows" || fi.Size() != selfInfo.Size() {
		return false
	}
	a, err1 := os.ReadFile(path)
	b, err2 := os.ReadFile(selfPath)
	return err1 == nil && err2 == nil && bytes.Equal(a, b)
}

// shadowReport says, for the names just linked in dir (those kept were
// reported when made), which commands of
// the same names elsewhere on PATH they now shadow, or which shadow them;
// and if dir is not on PATH at all, how to put it there. A drop-in shadows
// by intent; any other name that shadows a command gets a warning, since
// that command no longer runs by its name.
func shadowReport(e *command.Env, dir string, specs []*command.Spec, names []string, selfInfo os.FileInfo) {
	path := filepath.SplitList(os.Getenv("PATH"))
	at := -1 // where dir is on PATH
	if di, err := os.Stat(dir); err == nil {
		for i, d := range path {
			if d == "" {
				d = "."
			}
			if fi, err := os.Stat(d); err == nil && os.SameFile(fi, di) {
				at = i
				break
			}
		}
	}
	if at < 0 && len(names) > 0 {
		abs, err := filepath.Abs(dir)
		if err != nil {
			abs = dir
		}
		if runtime.GOOS == "windows" {
			e.Print(fmt.Sprintf("%s is not on PATH; to run the links by name: $env:Path = %s + $env:Path\n", dir, psQuote(abs+";")))
		} else {
			e.Print(fmt.Sprintf("%s is not on PATH; to run the links by name: export PATH=%s:\"$PATH\"\n", dir, command.Quotef(abs)))
		}
	}
	for i, c := range specs {
		name := names[i]
		other, j := onPath(path, name, at, selfInfo)
		switch {
		case other == "":
		case at >= 0 && j < at:
			e.Print(fmt.Sprintf("%s is not what '%s' runs: %s comes first on PATH\n", filepath.Join(dir, name+exeSuffix()), name, other))
		case c.DropIn && at < 0:
			e.Print(fmt.Sprintf("%s would shadow %s, as meant: gopipe %s is a drop-in for it\n", filepath.Join(dir, name+exeSuffix()), other, name))
		case c.DropIn:
			e.Print(fmt.Sprintf("%s shadows %s, as meant: gopipe %s is a drop-in for it\n", filepath.Join(dir, name+exeSuffix()), other, name))
		case at >= 0:
			e.Errorf("warning: %s shadows %s, which gopipe %s does not replace: '%s' now runs gopipe %s", filepath.Join(dir, name+exeSuffix()), other, c.Name, name, c.Name)
		default:
			e.Errorf("warning: with %s on PATH before %s, '%s' would run gopipe's %s", dir, filepath.Dir(other), name, c.Name)
		}
	}
}

// onPath finds the first program called name on path outside its entry
// skip (the install directory) that is not this gopipe, and its index.
func onPath(path []string, name string, skip int, selfInfo os.FileInfo) (string, int) {
	for i, d := range path {
		if i == skip || d == "" {
			continue
		}
		p := filepath.Join(d, name+exeSuffix())
		fi, err := os.Stat(p)
		if err != nil || !fi.Mode().IsRegular() || (runtime.GOOS != "windows" && fi.Mode()&0o111 == 0) || os.SameFile(fi, selfInfo) {
			continue
		}
		return p, i
	}
	return "", -1
}

// psQuote quotes s for PowerShell, in single quotes.
func psQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func runUninstall(e *command.Env, p *command.Parsed) int {
	if len(p.Operands) != 1 {
		return e.Usage(errors.New("want one DIR"))
	}
	dir := p.Operands[0]
	selfPath, selfInfo, err := self()
	if err != nil {
		e.Errorf("%v", err)
		return command.StatusFailure
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		if err == nil {
			err = syscall.ENOTDIR
		}
		e.Errorf("cannot uninstall from %s: %s", command.Quote(dir), command.Strerror(err))
		return command.StatusFailure
	}
	status, removed := 0, 0
	for _, c := range documented() {
		for _, name := range c.Names() {
			dst := filepath.Join(dir, name+exeSuffix())
			if !isSelf(dst, selfPath, selfInfo) {
				continue
			}
			if err := os.Remove(dst); err != nil {
				hint := ""
				if runtime.GOOS == "windows" && errors.Is(err, fs.ErrPermission) {
					// The link is this very program's file, which runs.
					hint = " (Windows keeps a running program's file: run --uninstall from a copy of gopipe elsewhere)"
				}
				e.Errorf("cannot remove %s: %s%s", command.Quote(dst), command.Strerror(err), hint)
				status = command.StatusFailure
				continue
			}
			removed++
			e.Print(fmt.Sprintf("removed %s\n", dst))
		}
	}
	if removed == 0 && status == 0 {
		e.Print(fmt.Sprintf("nothing to remove: no link to this gopipe in %s\n", dir))
	}
	return status
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(dst)
		return err
	}
	return out.Close()
}
