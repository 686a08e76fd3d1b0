//go:build !linux

package tests

import "github.com/rogpeppe/go-internal/testscript"

// scriptCmds: see cmds_linux_test.go. Without inotify, watchopen and
// waitopen do nothing.
var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"watchopen": func(*testscript.TestScript, bool, []string) {},
	"waitopen":  func(*testscript.TestScript, bool, []string) {},
}
