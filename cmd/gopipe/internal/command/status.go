package command

import (
	"os"

	"github.com/gopipe/gopipe/pipeline"
)

// Exit statuses. gopipe's own: 0, 1, 2 for a usage error. Those of a
// command that runs another (redirect, run), as env(1) and timeout(1) have
// them, so that they are not taken for the other command's: 125, 126, 127;
// and 128+N for a death by signal N, as a shell reports it.
const (
	StatusOK          = 0
	StatusFailure     = 1
	StatusUsage       = 2
	StatusFailed      = 125 // redirect or run itself failed
	StatusCannotRun   = 126
	StatusNotFound    = 127 // the command, or an applet, is not found
	StatusInterrupted = 130 // 128 + SIGINT, where signals have no number
)

// SelfPath is this program's path when name is "gopipe", so that a command
// line naming gopipe runs this very program, on PATH or not; else "".
func SelfPath(name string) string {
	if name != "gopipe" {
		return ""
	}
	self, err := os.Executable()
	if err != nil {
		return ""
	}
	return self
}

// StageStatus reports a stage of a pipeline that could not run, as cmd,
// and returns its status.
func (e *Env) StageStatus(cmd string, st pipeline.Status) int {
	if st.Err == nil {
		return st.Code
	}
	switch st.Code {
	case StatusCannotRun, StatusNotFound:
		e.Errorf("%s: %s", cmd, StrerrorExec(st.Err))
	case 0:
		// It ran and succeeded; only its output's copying went wrong
		// (a grandchild held it: exec.ErrWaitDelay).
	default:
		e.Errorf("%s: %s", cmd, StrerrorPath(st.Err))
	}
	return st.Code
}
