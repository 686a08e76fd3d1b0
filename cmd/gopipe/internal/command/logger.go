package command

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// Logger writes timestamped lines, one at a time, for the servers' logs.
type Logger struct {
	mu sync.Mutex
	W  io.Writer
}

// Logf writes one line: the UTC time, then the message, its control
// characters escaped (Visible), so that a name given by a client or a user
// never splits a line or forges one.
func (l *Logger) Logf(format string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.W, "%s %s\n", time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), Visible(fmt.Sprintf(format, a...)))
}
