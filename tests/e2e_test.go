// Package tests drives the built gopipe binary as a user would, with
// testscript: each testdata/*.txtar is a script of shell-like commands and
// the files they use.
package tests

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/gopipe/gopipe/internal/testenv"
)

var exe = map[bool]string{true: ".exe", false: ""}[runtime.GOOS == "windows"]

// binDir holds the gopipe binary under test: $GOPIPE_BIN_DIR if set (a
// binary built elsewhere, e.g. for Windows), else one built once here.
var binDir = sync.OnceValues(func() (string, error) {
	if d := os.Getenv("GOPIPE_BIN_DIR"); d != "" {
		return d, nil
	}
	dir, err := os.MkdirTemp("", "gopipe-e2e-bin")
	if err != nil {
		return "", err
	}
	// Other uids run it in the permission tests.
	if err := os.Chmod(dir, 0o755); err != nil {
		return "", err
	}
	// Built as README builds it.
	cmd := exec.Command("go", "build", "-tags", "urfave_cli_no_docs", "-o", filepath.Join(dir, "gopipe"+exe), "../cmd/gopipe")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cmd.Stderr = os.Stderr
	return dir, cmd.Run()
})

func TestMain(m *testing.M) {
	code := m.Run()
	if os.Getenv("GOPIPE_BIN_DIR") == "" {
		if dir, err := binDir(); err == nil && dir != "" {
			os.RemoveAll(dir)
		}
	}
	os.Exit(code)
}

func TestScripts(t *testing.T) {
	dir, err := binDir()
	if err != nil {
		t.Fatalf("building gopipe: %v", err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata",
		RequireExplicitExec: true,
		Cmds:                scriptCmds,
		Setup: func(env *testscript.Env) error {
			env.Setenv("PATH", dir+string(os.PathListSeparator)+env.Getenv("PATH"))
			env.Setenv("GOPIPE", filepath.Join(dir, "gopipe"+exe))
			// Pipe names are global on Windows: each script gets its own.
			b := make([]byte, 6)
			rand.Read(b)
			env.Setenv("RAND", hex.EncodeToString(b))
			return nil
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "root":
				return testenv.Condition(cond, os.Geteuid() == 0)
			case "gnu":
				// GNU coreutils to compare with.
				return testenv.Condition(cond, testenv.IsGNU("/usr/bin/mkfifo"))
			case "protected_fifos":
				// Linux refuses O_CREAT opens of others' FIFOs in sticky
				// directories (where GNU tee fails and gopipe tee must not).
				b, err := os.ReadFile("/proc/sys/fs/protected_fifos")
				return err == nil && strings.TrimSpace(string(b)) != "0", nil
			}
			return false, nil
		},
	})
}
