package fifo

// Usage is who uses a FIFO at one moment, as far as the OS lets the caller
// see: the processes that hold it open, those blocked opening it (waiting
// for the other end), and what its pipe holds.
type Usage struct {
	Holders []Process
	// Opening are the processes blocked opening a FIFO, waiting for the
	// other end: this one where Sure, else one the caller may not learn
	// (which FIFO a blocked open waits on takes the right to trace it).
	Opening []Process
	// Buffered is the bytes in the pipe, Capacity its size; -1 unknown.
	// They are read only through a reader that already holds the FIFO,
	// never by opening it anew (see UsageOf).
	Buffered, Capacity int
	// Partial says that some processes could not be examined (other
	// users', without privilege): others may hold or open it too.
	Partial bool
}

// Process is a process that holds or opens a FIFO.
type Process struct {
	PID     int
	Command []string
	UID     int
	User    string // UID's name, or UID in decimal
	// Read and Write are the ends it holds (both: opened read-write), or
	// the one it is opening.
	Read, Write bool
	// Waiting is what it is blocked in on this FIFO: "open" (waiting for
	// the other end), "read" (for data), "write" (for room), or "".
	Waiting string
	// Sure is set for a holder, and for an opener known to be opening
	// this FIFO.
	Sure bool
}

// UsageOf tells who uses the FIFO at path now, without changing it: it
// opens no FIFO; to count the buffered bytes it duplicates, for a moment, a
// holder's own read end (pidfd_getfd; a writer's EPIPE, should every other
// reader go meanwhile, waits until it is closed). Linux only; elsewhere, or
// without a /proc to read, the error wraps errors.ErrUnsupported.
func UsageOf(path string) (Usage, error) { return usageOf(path) }
