//go:build unix

package pipeline

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// processGone reports whether pid has exited: a zombie counts, since its
// parent (for an orphan, init, which a container may lack) reaps it.
func processGone(pid int) bool {
	if err := syscall.Kill(pid, 0); err == syscall.ESRCH {
		return true
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// pid (comm) S ...: the state follows the last ')'.
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z'
}

func init() {
	// blocking says whether its stdin is in blocking mode.
	helpers["blocking"] = func([]string) int {
		fl, err := unix.FcntlInt(0, unix.F_GETFL, 0)
		if err != nil {
			fmt.Println(err)
			return 1
		}
		if fl&unix.O_NONBLOCK != 0 {
			fmt.Println("non-blocking")
		} else {
			fmt.Println("blocking")
		}
		return 0
	}
	// exec replaces itself (Exec) with the helper echo, in the directory
	// args[0], saying what Exec returned if it did.
	helpers["exec"] = func(args []string) int {
		os.Unsetenv(helperEnv)
		s := helper("echo", "pid", strconv.Itoa(os.Getpid()))
		s.Dir = args[0]
		st := Exec(s)
		fmt.Println("not replaced:", st.Code, st.Err)
		return 1
	}
}

func killPid(pid int) { syscall.Kill(pid, syscall.SIGKILL) }

func onWine() bool { return false }
