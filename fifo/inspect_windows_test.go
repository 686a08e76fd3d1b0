package fifo

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestInspectWindows(t *testing.T) {
	user, err := currentUser()
	if err != nil {
		t.Fatal(err)
	}
	name, _ := listenWin(t, nil)
	info, err := Inspect(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", info)
	if info.Kind != KindNamedPipe || info.Path != Path(name) || info.Name != name {
		t.Errorf("listener: %+v", info)
	}
	if info.OwnerID != user.String() || info.Owner == "" {
		t.Errorf("owner %q (%q), want %q", info.OwnerID, info.Owner, user)
	}
	if !strings.Contains(info.SDDL, "D:P") {
		t.Errorf("SDDL %q has no protected DACL", info.SDDL)
	}
	if info.ServerPID != os.Getpid() {
		t.Errorf("server pid %d, want %d", info.ServerPID, os.Getpid())
	}

	fifo := makeT(t)
	info, err = Inspect(fifo)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", info)
	if info.Kind != KindGopipeFIFO || info.OwnerID != user.String() {
		t.Errorf("fifo: %+v", info)
	}
	if info.ServerPID == 0 || info.ServerPID == os.Getpid() {
		t.Errorf("fifo server pid %d, want the holder's", info.ServerPID)
	}
	// The probe did not pass for a writer: a reader still waits.
	writeFIFO(t, testCtx(t), fifo, "x")
	if got := readFIFO(t, testCtx(t), fifo); got != "x" {
		t.Errorf("read %q", got)
	}

	_, err = Inspect(testPipeName(t))
	mustErr(t, err, fs.ErrNotExist)
	// A path is a file, which only a FIFO's marker makes a FIFO.
	_, err = Inspect(`C:\not\a\pipe`)
	mustErr(t, err, fs.ErrNotExist)
	plain := filepath.Join(scratchDir(t), "plain")
	os.WriteFile(plain, []byte("data"), 0o600)
	_, err = Inspect(plain)
	mustErr(t, err, ErrNotFIFO)
}

func TestListWindows(t *testing.T) {
	name, _ := listenWin(t, &Config{MaxInstances: 3, PendingInstances: 2})
	fifo := makeT(t)
	infos, err := List("")
	if err != nil {
		if onWine() {
			t.Skipf("Wine cannot list \\\\.\\pipe\\: %v", err)
		}
		t.Fatal(err)
	}
	byName := map[string]Info{}
	for i, info := range infos {
		if i > 0 && infos[i-1].Name > info.Name {
			t.Errorf("not sorted: %q before %q", infos[i-1].Name, info.Name)
		}
		if strings.HasSuffix(info.Name, ctlSuffix) {
			t.Errorf("control pipe listed: %q", info.Name)
		}
		byName[info.Name] = info
	}
	if info, ok := byName[name]; !ok || info.Kind != KindNamedPipe || info.Instances != 2 || info.MaxInstances != 4 {
		t.Errorf("listener: %+v (found %v)", info, ok)
	}
	if info, ok := byName[fifo]; !ok || info.Kind != KindGopipeFIFO {
		t.Errorf("fifo: %+v (found %v)", info, ok)
	}
	for _, dir := range []string{`\\.\pipe\`, "//./pipe/", `\\.\pipe`} {
		if _, err := List(dir); err != nil {
			t.Errorf("List(%q): %v", dir, err)
		}
	}
	_, err = List(`\\.\mailslot\`)
	if !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf(`List(\\.\mailslot\): %v`, err)
	}
}

// List of a directory lists the FIFOs made at a path there, as gopipe
// FIFOs with their pipes, and nothing else.
func TestListMarkers(t *testing.T) {
	dir := scratchDir(t)
	a := makeAt(t, filepath.Join(dir, "a"))
	b := makeAt(t, filepath.Join(dir, "b"))
	os.WriteFile(filepath.Join(dir, "plain"), []byte("!<fifo>\n"), 0o600)
	os.Mkdir(filepath.Join(dir, "sub"), 0o700)
	infos, err := List(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 2 || infos[0].Name != filepath.Base(a) || infos[1].Name != filepath.Base(b) {
		t.Fatalf("List(%q) = %+v, want %s and %s", dir, infos, a, b)
	}
	for _, in := range infos {
		if in.Kind != KindGopipeFIFO || in.Namespace != NamespaceFiles || !strings.HasPrefix(in.Path, pipePrefix+markerPipePrefix) {
			t.Errorf("%+v, want a gopipe FIFO in the files with its pipe as Path", in)
		}
	}
	if _, err := List(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("List of a missing directory: %v", err)
	}
}
