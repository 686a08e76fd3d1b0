package fifo

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/windows"
)

// usageOf asks the holder of a gopipe FIFO over its control pipe (never
// its data pipe, where a client would be a writer arriving): what it
// queues, its reader and the readers waiting for their turn, its writers.
// Another program's named pipe tells nothing of the kind: ErrUnsupported.
func usageOf(path string) (Usage, error) {
	u := Usage{Buffered: -1, Capacity: -1}
	t, err := resolveFIFO("usage", path)
	if err != nil {
		return u, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), holderCmdTimeout)
	defer cancel()
	h, err := openClient(ctx, "usage", t.pipe+ctlSuffix, dialAccess)
	if err != nil {
		// No control pipe: not a FIFO of ours.
		return u, &os.PathError{Op: "usage", Path: path, Err: fmt.Errorf("not a FIFO made by gopipe mkfifo: %w", errors.ErrUnsupported)}
	}
	if _, err := checkServerOwner(h, nil); err != nil {
		windows.CloseHandle(h)
		return u, &os.PathError{Op: "usage", Path: path, Err: err}
	}
	f := os.NewFile(uintptr(h), t.pipe+ctlSuffix)
	defer f.Close()
	if _, err := f.Write([]byte("status\n")); err != nil {
		return u, &os.PathError{Op: "usage", Path: path, Err: unwrapPathErr(err)}
	}
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil {
		// A holder from before "status": it dropped the request.
		return u, &os.PathError{Op: "usage", Path: path, Err: fmt.Errorf("its holder does not tell: %w", errors.ErrUnsupported)}
	}
	return parseStatus(line)
}

// parseStatus turns the holder's status line into a Usage: the writers
// hold the FIFO; the reader whose turn it is holds it too once a writer
// has come, and waits for one (like a Unix reader in open) until then; the
// readers waiting for their turn wait in open.
func parseStatus(line string) (Usage, error) {
	u := Usage{Buffered: -1, Capacity: -1}
	fields := map[string]string{}
	for _, f := range strings.Fields(line) {
		k, v, _ := strings.Cut(f, "=")
		fields[k] = v
	}
	var err error
	if u.Buffered, err = strconv.Atoi(fields["buffered"]); err != nil {
		return Usage{Buffered: -1, Capacity: -1}, fmt.Errorf("holder status %q: %w", line, err)
	}
	if u.Capacity, err = strconv.Atoi(fields["capacity"]); err != nil {
		return Usage{Buffered: -1, Capacity: -1}, fmt.Errorf("holder status %q: %w", line, err)
	}
	came := fields["came"] == "true"
	procs := func(v string) []Process {
		var ps []Process
		for _, w := range strings.Split(v, ",") {
			pid, sid, ok := strings.Cut(w, ":")
			if !ok {
				continue
			}
			p := Process{Sure: true}
			p.PID, _ = strconv.Atoi(pid)
			p.User = sid
			if s, err := windows.StringToSid(sid); err == nil {
				p.User = accountName(s)
			}
			ps = append(ps, p)
		}
		return ps
	}
	for _, p := range procs(fields["writers"]) {
		p.Write = true
		u.Holders = append(u.Holders, p)
	}
	for _, p := range procs(fields["reader"]) {
		p.Read = true
		switch {
		case !came:
			p.Waiting = "open"
			u.Opening = append(u.Opening, p)
			continue
		case u.Buffered == 0:
			p.Waiting = "read"
		}
		u.Holders = append(u.Holders, p)
	}
	for _, p := range procs(fields["waiting"]) {
		p.Read, p.Waiting = true, "open"
		u.Opening = append(u.Opening, p)
	}
	return u, nil
}
