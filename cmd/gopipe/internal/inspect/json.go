package inspect

import (
	"encoding/json"
	"fmt"
	"io"
	"io/fs"

	"github.com/gopipe/gopipe/fifo"
)

// entry is one FIFO, socket or pipe in the JSON that ls --json and
// info --json print: an array of them, even of none or one. It is the
// commands' interface to scripts, kept apart from fifo.Info so that the
// package can change without breaking it. The schema (entries.schema.json,
// docs/commands.md) is additive: fields are added, never removed, renamed
// or given another type; every field is always present, null where this OS
// or this name has no such value.
type entry struct {
	Name      string  `json:"name"`
	Path      string  `json:"path"`
	Namespace string  `json:"namespace"`
	Kind      string  `json:"kind"`
	Owner     *string `json:"owner"`
	OwnerID   *string `json:"owner_id"`
	// Mode is the permission bits in octal, "0600"; ModeString as ls -l
	// shows the file, "prw-------". Both null on Windows, where the DACL
	// (SDDL) says who may do what.
	Mode         *string `json:"mode"`
	ModeString   *string `json:"mode_string"`
	SDDL         *string `json:"sddl"`
	ServerPID    *int    `json:"server_pid"`
	Instances    *int    `json:"instances"`
	MaxInstances *int    `json:"max_instances"`
	// Who uses a FIFO now (info only; null in ls, for what is not a
	// FIFO, and where the OS does not tell).
	HeldBy   []jsonProcess `json:"held_by"`
	Opening  []jsonProcess `json:"opening"`
	Buffered *int          `json:"buffered"`
	Capacity *int          `json:"capacity"`
	Partial  *bool         `json:"partial"`
}

// nonEmpty is &s, or nil for "".
func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// known is &n, or nil for what the OS did not tell (-1, or 0 for a pid).
func known(n int, unknown int) *int {
	if n == unknown || n < 0 {
		return nil
	}
	return &n
}

func toEntry(in fifo.Info, u *fifo.Usage, unix bool) entry {
	e := entry{
		Name:         in.Name,
		Path:         in.Path,
		Namespace:    string(in.Namespace),
		Kind:         in.Kind.String(),
		Owner:        nonEmpty(in.Owner),
		OwnerID:      nonEmpty(in.OwnerID),
		SDDL:         nonEmpty(in.SDDL),
		ServerPID:    known(in.ServerPID, 0),
		Instances:    known(in.Instances, -1),
		MaxInstances: known(in.MaxInstances, -1),
	}
	if unix {
		mode := octalMode(in.Mode)
		str := lsMode(in)
		e.Mode, e.ModeString = &mode, &str
	}
	if u != nil {
		e.HeldBy, e.Opening = jsonProcesses(u.Holders, true), jsonProcesses(u.Opening, false)
		e.Buffered, e.Capacity, e.Partial = known(u.Buffered, -1), known(u.Capacity, -1), &u.Partial
	}
	return e
}

// lsMode is the mode as ls -l shows it: the file type's letter, then the
// permission bits with setuid, setgid and sticky as ls marks them (Go's
// FileMode.String has letters of its own).
func lsMode(in fifo.Info) string {
	m := in.Mode
	t := byte('-')
	switch {
	case in.Kind == fifo.KindFIFO || m&fs.ModeNamedPipe != 0:
		t = 'p'
	case in.Kind == fifo.KindSocket || m&fs.ModeSocket != 0:
		t = 's'
	case m&fs.ModeSymlink != 0:
		t = 'l'
	case m.IsDir():
		t = 'd'
	case m&fs.ModeCharDevice != 0:
		t = 'c'
	case m&fs.ModeDevice != 0:
		t = 'b'
	}
	b := []byte{t}
	b = append(b, m.Perm().String()[1:]...)
	special := func(i int, set bool, x byte) {
		if !set {
			return
		}
		if b[i] == 'x' {
			b[i] = x
		} else {
			b[i] = x - 'a' + 'A' // S or T: the bit without x
		}
	}
	special(3, m&fs.ModeSetuid != 0, 's')
	special(6, m&fs.ModeSetgid != 0, 's')
	special(9, m&fs.ModeSticky != 0, 't')
	return string(b)
}

// octalMode is the mode's permission and special bits in octal, "4755".
func octalMode(m fs.FileMode) string {
	n := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		n |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		n |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		n |= 0o1000
	}
	return fmt.Sprintf("%04o", n)
}

// writeEntries writes infos as the JSON array of entries, a line at the
// end: [] for none, never null. usages, if not nil, go with infos.
func writeEntries(w io.Writer, infos []fifo.Info, usages []*fifo.Usage, unix bool) {
	entries := make([]entry, 0, len(infos))
	for i, in := range infos {
		var u *fifo.Usage
		if usages != nil {
			u = usages[i]
		}
		entries = append(entries, toEntry(in, u, unix))
	}
	// Command lines keep their < > & as they are: this JSON goes to
	// scripts, not into HTML.
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	enc.Encode(entries) // entries always marshal; a write error shows in Print
}
