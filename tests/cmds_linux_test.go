package tests

import (
	"sync"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/sys/unix"
)

// scriptCmds are commands of our own for the scripts:
//
//	watchopen FILE   start watching FILE for opens
//	waitopen FILE    wait until FILE has been opened since watchopen
//
// A FIFO's reader opens it as it begins to wait for a writer, so a script
// can tell that a background command is waiting, with no sleep. They use
// inotify; elsewhere they do nothing (and the script races, harmlessly).
var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"watchopen": cmdWatchOpen,
	"waitopen":  cmdWaitOpen,
}

type watchKey struct {
	ts   *testscript.TestScript
	name string
}

var watches sync.Map // watchKey → inotify fd

func cmdWatchOpen(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: watchopen file")
	}
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC)
	ts.Check(err)
	if _, err := unix.InotifyAddWatch(fd, ts.MkAbs(args[0]), unix.IN_OPEN); err != nil {
		unix.Close(fd)
		ts.Fatalf("watchopen: %v", err)
	}
	watches.Store(watchKey{ts, args[0]}, fd)
	ts.Defer(func() {
		if fd, ok := watches.LoadAndDelete(watchKey{ts, args[0]}); ok {
			unix.Close(fd.(int))
		}
	})
}

func cmdWaitOpen(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waitopen file")
	}
	v, ok := watches.LoadAndDelete(watchKey{ts, args[0]})
	if !ok {
		ts.Fatalf("waitopen %s: no watchopen before", args[0])
	}
	fd := v.(int)
	defer unix.Close(fd)
	buf := make([]byte, 4096)
	for {
		_, err := unix.Read(fd, buf)
		if err != unix.EINTR {
			ts.Check(err)
			return
		}
	}
}
