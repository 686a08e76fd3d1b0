package fifo

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// markerAt makes a FIFO at dir/sub/f and returns its path and pipe.
func markerAt(t *testing.T) (name, pipe string) {
	t.Helper()
	name = makeAt(t, filepath.Join(scratchDir(t), "sub", "f"))
	info, err := Inspect(name)
	if err != nil {
		t.Fatal(err)
	}
	return name, info.Path
}

// identityAt is the identity of the file name.
func identityAt(t *testing.T, name string) fileIdentity {
	t.Helper()
	h, err := openShared(name, windows.FILE_READ_ATTRIBUTES, false)
	if err != nil {
		t.Fatal(err)
	}
	defer windows.CloseHandle(h)
	id, err := identityOf(h)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// waitGone waits until the pipe has no holder, failing after a while.
func waitGone(t *testing.T, pipe string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for servedFIFO(pipe) {
		if time.Now().After(deadline) {
			t.Fatalf("the holder of %s is still there", pipe)
		}
		time.Sleep(20 * time.Millisecond) // polling the condition, not synchronising on time
	}
}

// The marker file holds the magic and the pipe other programs open, and
// gets the protected DACL pipes get: the current user and SYSTEM alone.
// (Wine stores descriptors without enforcing them: reading one back is
// what can be tested there.)
func TestMarkerFile(t *testing.T) {
	name, pipe := markerAt(t)
	if !strings.HasPrefix(pipe, `\\.\pipe\gopipe-fifo-`) {
		t.Fatalf("pipe %q", pipe)
	}
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := parseMarker(b); err != nil || got != pipe {
		t.Fatalf("marker %q names %q (%v), want %q", b, got, err, pipe)
	}
	user, err := currentUser()
	if err != nil {
		t.Fatal(err)
	}
	sd, err := windows.GetNamedSecurityInfo(name, windows.SE_FILE_OBJECT,
		windows.OWNER_SECURITY_INFORMATION|windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("SDDL: %s", sd)
	if owner, _, err := sd.Owner(); err != nil || owner == nil || !owner.Equals(user) {
		t.Errorf("owner %v (%v), want %v", owner, err, user)
	}
	if control, _, err := sd.Control(); err != nil || control&windows.SE_DACL_PROTECTED == 0 {
		if onWine() {
			// Wine keeps the ACEs, not the protection flag.
			t.Logf("DACL not protected: control %#x, %v (Wine does not keep the flag)", control, err)
		} else {
			t.Errorf("DACL not protected: control %#x, %v", control, err)
		}
	}
	dacl, _, err := sd.DACL()
	if err != nil || dacl == nil {
		t.Fatalf("no DACL: %v", err)
	}
	want := map[string]bool{sidLocalSystem: true, user.String(): true}
	if int(dacl.AceCount) != len(want) {
		t.Fatalf("%d ACEs, want %d: %s", dacl.AceCount, len(want), sd)
	}
	for i := range uint32(dacl.AceCount) {
		var ace *windows.ACCESS_ALLOWED_ACE
		if err := windows.GetAce(dacl, i, &ace); err != nil {
			t.Fatal(err)
		}
		sid := (*windows.SID)(unsafe.Pointer(&ace.SidStart)).String()
		if ace.Header.AceType != windows.ACCESS_ALLOWED_ACE_TYPE || !want[sid] {
			t.Errorf("ACE %d: type %d for %s", i, ace.Header.AceType, sid)
		}
	}
	if a, err := windows.GetFileAttributes(windows.StringToUTF16Ptr(name)); err != nil || a&windows.FILE_ATTRIBUTE_SYSTEM == 0 {
		t.Logf("no System attribute (%#x, %v): the file system keeps none", a, err)
	}
	// An existing path is not made again, whatever is there.
	if err := Make(name, DefaultMode); !errors.Is(err, fs.ErrExist) {
		t.Errorf("Make of an existing marker: %v, want fs.ErrExist", err)
	}
	plain := filepath.Join(filepath.Dir(name), "plain")
	os.WriteFile(plain, []byte("data"), 0o600)
	if err := Make(plain, DefaultMode); !errors.Is(err, fs.ErrExist) {
		t.Errorf("Make of an existing file: %v, want fs.ErrExist", err)
	}
	if b, _ := os.ReadFile(plain); string(b) != "data" {
		t.Errorf("Make changed the file to %q", b)
	}
	if err := Make(filepath.Join(filepath.Dir(name), "missing", "f"), DefaultMode); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Make in a missing directory: %v, want fs.ErrNotExist", err)
	}
}

// A marker that is damaged, copied or overwritten is refused by every
// operation, with a message naming the pipe to use; nothing is truncated
// or read as data.
func TestMarkerRefused(t *testing.T) {
	outer := t
	name, pipe := markerAt(t)
	dir := filepath.Dir(name)
	good, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	write := func(t *testing.T, name, content string) {
		t.Helper()
		// Not os.WriteFile, whose CREATE_ALWAYS a System file refuses.
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := f.Truncate(0); err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteString(content); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name, content string
		file          string // "" for the FIFO's own marker, overwritten in place
	}{
		{"damaged", "!<fifo>\npipe " + pipe, "damaged"},
		{"copied", string(good), "copied"},
		{"overwritten in place", "x\r\n", ""},
		{"overwritten with a damaged marker", "!<fifo>\n", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			target := name
			if c.file != "" {
				target = filepath.Join(dir, c.file)
			}
			write(t, target, c.content)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			check := func(what string, err error) {
				t.Helper()
				if !errors.Is(err, ErrNotFIFO) || !strings.Contains(err.Error(), pipe) {
					t.Errorf("%s: %v, want ErrNotFIFO naming %s", what, err, pipe)
				}
			}
			_, err := OpenFile(ctx, target, os.O_RDONLY, 0)
			check("OpenFile to read", err)
			_, err = OpenFile(ctx, target, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
			check("OpenFile to write", err)
			_, err = OpenReader(ctx, target)
			check("OpenReader", err)
			_, err = OpenWriter(ctx, target)
			check("OpenWriter", err)
			_, err = Lookup(target)
			check("Lookup", err)
			check("Remove", Remove(target))
			if b, _ := os.ReadFile(target); string(b) != c.content {
				t.Errorf("the file now holds %q", b)
			}
			if c.file == "" {
				// The FIFO runs on, by its pipe, and ends by it: the
				// holder goes by the file's identity, which an overwrite
				// keeps.
				if is, known := markerIs(name, identityAt(t, name)); !is || !known || identityAt(t, name).pipe() != pipe {
					t.Fatalf("the holder takes the overwritten marker for another file (%v %v)", is, known)
				}
				if !servedFIFO(pipe) {
					t.Fatal("the holder left when its marker was overwritten")
				}
				if err := Remove(pipe); err != nil {
					t.Fatal(err)
				}
				if b, _ := os.ReadFile(target); string(b) != c.content {
					t.Errorf("removing the FIFO by its pipe changed the overwritten file to %q", b)
				}
				name, pipe = markerAt(outer) // for the next case
				dir = filepath.Dir(name)
				good, _ = os.ReadFile(name)
			}
		})
	}
}

// Deleting the marker, or replacing it, ends its holder, which never
// serves a new file at that path; Remove removes the marker, also when
// its holder is gone.
func TestMarkerEnds(t *testing.T) {
	t.Run("deleted", func(t *testing.T) {
		name, pipe := markerAt(t)
		if err := os.Remove(name); err != nil {
			t.Fatal(err)
		}
		waitGone(t, pipe)
	})
	t.Run("replaced", func(t *testing.T) {
		name, pipe := markerAt(t)
		other := filepath.Join(filepath.Dir(name), "other")
		if err := os.WriteFile(other, []byte("new\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(other, name); err != nil {
			t.Fatal(err)
		}
		waitGone(t, pipe)
		if b, _ := os.ReadFile(name); string(b) != "new\n" {
			t.Errorf("the file that replaced the marker holds %q", b)
		}
	})
	t.Run("renamed", func(t *testing.T) {
		// The holder watches the path it was made at.
		name, pipe := markerAt(t)
		moved := filepath.Join(filepath.Dir(name), "moved")
		if err := os.Rename(name, moved); err != nil {
			t.Fatal(err)
		}
		waitGone(t, pipe)
		if _, err := Inspect(moved); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Inspect of the renamed marker: %v, want its holder gone", err)
		}
		if err := Remove(moved); err != nil {
			t.Errorf("Remove of the renamed marker: %v", err)
		}
	})
	t.Run("made again", func(t *testing.T) {
		name, pipe := markerAt(t)
		if err := os.Remove(name); err != nil {
			t.Fatal(err)
		}
		waitGone(t, pipe)
		if err := Make(name, DefaultMode); err != nil {
			t.Fatal(err)
		}
		info, err := Inspect(name)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("first pipe %s, second %s", pipe, info.Path)
	})
	t.Run("removed", func(t *testing.T) {
		name, pipe := markerAt(t)
		if err := Remove(name); err != nil {
			t.Fatal(err)
		}
		if servedFIFO(pipe) {
			t.Error("the holder outlived Remove")
		}
		if _, err := os.Lstat(name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("the marker outlived Remove: %v", err)
		}
		if err := Remove(name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("second Remove: %v, want fs.ErrNotExist", err)
		}
	})
	t.Run("removed by its pipe", func(t *testing.T) {
		name, pipe := markerAt(t)
		if err := Remove(pipe); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Lstat(name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("the marker outlived Remove of its pipe: %v", err)
		}
	})
	t.Run("holder gone", func(t *testing.T) {
		name, pipe := markerAt(t)
		info, err := Inspect(name)
		if err != nil {
			t.Fatal(err)
		}
		p, err := os.FindProcess(info.ServerPID)
		if err != nil || info.ServerPID == 0 {
			t.Skipf("no holder pid: %v", err)
		}
		p.Kill()
		p.Wait()
		waitGone(t, pipe)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for what, err := range map[string]error{
			"OpenFile":   func() error { _, err := OpenFile(ctx, name, os.O_RDONLY, 0); return err }(),
			"OpenWriter": func() error { _, err := OpenWriter(ctx, name); return err }(),
			"Inspect":    func() error { _, err := Inspect(name); return err }(),
		} {
			if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "holder is gone") {
				t.Errorf("%s of a marker without holder: %v", what, err)
			}
		}
		if err := Remove(name); err != nil {
			t.Fatalf("Remove of a marker without holder: %v", err)
		}
		if _, err := os.Lstat(name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("the marker outlived Remove: %v", err)
		}
	})
}

// A marker owned by another user is refused. A test cannot give a file to
// another user on Windows (that takes SeRestorePrivilege), and Wine keeps
// no file owners (it makes one up from the Unix owner): the decision is
// tested on descriptors as GetSecurityInfo returns them, and the whole
// path where the owner set reads back.
func TestMarkerOwner(t *testing.T) {
	user, err := currentUser()
	if err != nil {
		t.Fatal(err)
	}
	const other = "S-1-5-21-1000000000-2000000000-3000000000-1001"
	for _, c := range []struct {
		owner string
		ok    bool
	}{{user.String(), true}, {sidLocalSystem, true}, {sidAdministrators, true}, {other, false}, {"S-1-1-0", false}} {
		sd, err := windows.SecurityDescriptorFromString("O:" + c.owner + "D:P(A;;FA;;;SY)")
		if err != nil {
			t.Fatal(err)
		}
		owner, err := markerOwner(sd)
		switch {
		case c.ok && (err != nil || owner.String() != c.owner):
			t.Errorf("owner %s: %v, %v", c.owner, owner, err)
		case !c.ok && (!errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), c.owner)):
			t.Errorf("owner %s: %v, want fs.ErrPermission naming the owner", c.owner, err)
		}
	}
	sd, err := windows.SecurityDescriptorFromString("D:P(A;;FA;;;SY)")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := markerOwner(sd); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("no owner: %v, want fs.ErrPermission", err)
	}
}

func TestMarkerOfAnotherUser(t *testing.T) {
	name, _ := markerAt(t)
	other, err := windows.StringToSid("S-1-5-21-1000000000-2000000000-3000000000-1001")
	if err != nil {
		t.Fatal(err)
	}
	if err := windows.SetNamedSecurityInfo(name, windows.SE_FILE_OBJECT, windows.OWNER_SECURITY_INFORMATION, other, nil, nil, nil); err != nil {
		t.Skipf("cannot give the marker to another user here: %v", err)
	}
	sd, err := windows.GetNamedSecurityInfo(name, windows.SE_FILE_OBJECT, windows.OWNER_SECURITY_INFORMATION)
	if err != nil {
		t.Fatal(err)
	}
	if owner, _, err := sd.Owner(); err != nil || owner == nil || !owner.Equals(other) {
		t.Skipf("the owner set does not read back (%v, %v)", owner, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = OpenFile(ctx, name, os.O_RDONLY, 0)
	if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), other.String()) {
		t.Errorf("OpenFile of another user's marker: %v, want fs.ErrPermission naming %s", err, other)
	}
	if err := Remove(name); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("Remove of another user's marker: %v, want fs.ErrPermission", err)
	}
	user, _ := currentUser()
	windows.SetNamedSecurityInfo(name, windows.SE_FILE_OBJECT, windows.OWNER_SECURITY_INFORMATION, user, nil, nil, nil)
}

// A marker's pipe must be served by the marker's owner: the check the
// clients apply once the pipe's owner is known (a test cannot make a pipe
// of another user's, so the check itself is what runs).
func TestMarkerServedByItsOwner(t *testing.T) {
	user, err := currentUser()
	if err != nil {
		t.Fatal(err)
	}
	system, _ := windows.StringToSid(sidLocalSystem)
	m := &markerFile{name: `C:\x\f`, pipe: markerPipeName(1, 2), owner: user}
	if err := m.checkServedBy(user); err != nil {
		t.Errorf("served by its owner: %v", err)
	}
	err = m.checkServedBy(system)
	if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), m.pipe) {
		t.Errorf("served by SYSTEM, marker of the user: %v, want fs.ErrPermission naming the pipe", err)
	}
	var none *markerFile // a pipe name: no marker to agree with
	if err := none.checkServedBy(system); err != nil {
		t.Errorf("no marker: %v", err)
	}
}

// Another program writing to the pipe the marker names reaches the FIFO's
// reader, as echo x > \\.\pipe\NAME does from cmd.
func TestMarkerPipeForOtherPrograms(t *testing.T) {
	name, pipe := markerAt(t)
	ctx := testCtx(t)
	rc := openAsync(ctx, name, false)
	w, err := os.OpenFile(pipe, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	w.WriteString("from another program\n")
	w.Close()
	r := <-rc
	if r.err != nil {
		t.Fatal(r.err)
	}
	defer r.f.Close()
	b, _ := io.ReadAll(r.f)
	if string(b) != "from another program\n" {
		t.Errorf("read %q", b)
	}
}
