package mkfifo

import (
	"errors"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/gopipe/gopipe/internal/testenv"
)

// modeSeeds are modes that GNU's parser treats in every way it can:
// octal, symbolic with and without who-letters, copies, X, errors.
var modeSeeds = []string{
	"600", "644", "0", "777", "4755", "17777", "8", "", "u", "=", "u=rw,go=", "+x", "-w", "a=r",
	"g+w,o-r", "u=rw,g=u,o=g", "ug=rwx,o=", "=r", "a=rw,u+x", "+X", "u=rw,u-r", "o=u", "0644",
	"00600", "u+s", "g+s", "+t", "u=rwz", ",", "u+", "a-rwx,u+X", "go=u-w", "=,=", "+", "-",
	"0o644", " 644", "644 ", "u=rwx,g=rx,o=", "a+rX", "u=,g=,o=",
}

// FuzzFifoMode: mkfifo's mode parser never panics, gives only what chmod
// can set, and gives the same answer twice.
func FuzzFifoMode(f *testing.F) {
	for _, s := range modeSeeds {
		f.Add(s, uint16(0o022))
	}
	f.Fuzz(func(t *testing.T, spec string, umask uint16) {
		m, err := fifoMode(spec, uint32(umask)&0o777)
		if err != nil {
			if err.Error() != "invalid mode" {
				t.Fatalf("%q: error %q", spec, err)
			}
			return
		}
		if uint32(m)&^0o7777 != 0 {
			t.Fatalf("%q: mode %o has bits outside 07777", spec, m)
		}
		if again, _ := fifoMode(spec, uint32(umask)&0o777); again != m {
			t.Fatalf("%q: %o, then %o", spec, m, again)
		}
	})
}

// The seed corpus against GNU mkfifo itself: the same modes, the same
// refusals, under two umasks.
func TestFifoModeSeedsAgainstGNU(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("GNU mkfifo is Linux's here")
	}
	gnu := testenv.GNU(t, "mkfifo")
	for _, umask := range []string{"022", "077"} {
		for _, spec := range modeSeeds {
			f := filepath.Join(t.TempDir(), "f")
			out, gerr := exec.Command("sh", "-c", `umask `+umask+`; "$0" -m "$1" "$2" && stat -c %a "$2"`, gnu, spec, f).Output()
			u, _ := strconv.ParseUint(umask, 8, 32)
			m, err := fifoMode(spec, uint32(u))
			if err == nil && m&^0o777 != 0 {
				err = errors.New("mode must specify only file permission bits") // as runMkfifo refuses it
			}
			if (gerr != nil) != (err != nil) {
				t.Errorf("-m %q, umask %s: GNU %v, ours %v", spec, umask, gerr, err)
				continue
			}
			if err != nil {
				continue
			}
			gm, _ := strconv.ParseUint(strings.TrimSpace(string(out)), 8, 32)
			if uint32(gm) != uint32(m) {
				t.Errorf("-m %q, umask %s: GNU %o, ours %o", spec, umask, gm, m)
			}
		}
	}
}
