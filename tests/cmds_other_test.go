//go:build !linux

package tests

import (
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// scriptCmds: see cmds_linux_test.go. Without inotify, watchopen and
// waitopen do nothing.
var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"watchopen": func(*testscript.TestScript, bool, []string) {},
	"waitopen":  func(*testscript.TestScript, bool, []string) {},
}

// docSSHEnv: the sshd the ssh:// blocks need is started on Linux only.
func docSSHEnv(t *testing.T) []string {
	t.Skip("the ssh:// documentation blocks run on Linux, as root")
	return nil
}
