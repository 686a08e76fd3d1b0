// Package zerocopy moves data between pipes (FIFOs included) and files
// inside the kernel, with Linux's splice(2) and tee(2), for gopipe cat and
// tee. Elsewhere, and for files the kernel cannot splice, it declines, and
// the caller copies through a buffer.
//
// It decides two things once for both commands: how big the pipes it
// splices between are made (PipeSize), and how a system call that would
// block waits (one loop, in poll(2), for all of them).
package zerocopy

import (
	"errors"
	"os"
	"syscall"
)

// MaxPipeSize is the most this package makes a pipe hold: 16 times Linux's
// default, so that each splice moves up to 1 MiB, a tenth of the system
// calls and wake-ups. It is also what an unprivileged process may ask for
// by default (/proc/sys/fs/pipe-max-size), and no more is taken where the
// system allows more: a pipe's pages count against the user's quota.
const MaxPipeSize = 1 << 20

// Copy copies src to dst with splice(2), which moves pages between the two
// inside the kernel: one end must be a pipe, the other a pipe or a regular
// file (a char device such as /dev/null too, as the output). It returns
// handled false, having copied nothing, when it cannot: other kinds of
// files, another OS, or a kernel that refuses these two (an O_APPEND
// output, a file system without splice), and the caller copies otherwise.
// add, if not nil, counts the bytes as they go.
//
// Either file may be non-blocking (a FIFO from package fifo is). Errors
// are *os.PathError whose Op says whether reading or writing failed
// ("read" or "write"), as those of os.File.
func Copy(dst, src *os.File, add func(int64)) (n int64, handled bool, err error) {
	return copyFiles(dst, src, add)
}

// PipeSize is the size Copy and the Tee give the pipes they splice
// between, if those hold less (a failure, such as a user over their
// pipe-user-pages quota, leaves a pipe as it was): MaxPipeSize, or less
// where the system allows less.
func PipeSize() int { return pipeSize() }

// A Tee moves the data of one input pipe to several output pipes without
// copying it, a chunk at a time: Fill takes the next chunk from the input,
// Deliver gives it to the outputs.
type Tee struct{ t *pipeTee }

// Outputs are a Tee's outputs as its user sees them, by index in the list
// given to NewTee.
type Outputs interface {
	// Live tells whether output i still takes data.
	Live(i int) bool
	// Write writes b to output i the ordinary way: the Tee falls back on it
	// if a chunk ever has to be read out of the kernel.
	Write(i int, b []byte) error
	// Fail reports that output i failed with err, and says whether the
	// whole tee must stop.
	Fail(i int, err error) (stop bool)
}

// NewTee returns a Tee from in to outs if in is a pipe and every output a
// pipe or /dev/null (which takes no part: writes to it cannot fail and have
// no effect), on Linux; otherwise nil.
func NewTee(in any, outs []any) *Tee {
	t := newPipeTee(in, outs)
	if t == nil {
		return nil
	}
	return &Tee{t}
}

// Fill takes the next chunk from the input and returns its length; io.EOF
// at the end.
func (t *Tee) Fill() (int, error) { return t.t.fill() }

// Deliver gives the n bytes Fill took to every live output, in order.
// stop reports that Fail asked to stop; err an error of the Tee's own,
// which ends the tee too.
func (t *Tee) Deliver(n int, outs Outputs) (stop bool, err error) { return t.t.deliver(n, outs) }

// Close releases the Tee, once no Fill runs or will run.
func (t *Tee) Close() { t.t.close() }

// Stats says how often Deliver had to redo a tee that an output took only
// in part, and Fill waited for the input to gather: for tests and
// benchmarks.
func (t *Tee) Stats() (partial, gathers int) { return t.t.partial, t.t.gathers }

// IsWriteErrno tells whether err is one only a write can have: how Copy
// (and its callers, for io.Copy's errors) tell a failed output from a
// failed input when one system call does both.
func IsWriteErrno(err error) bool {
	for _, e := range []error{syscall.EPIPE, syscall.ENOSPC, syscall.EDQUOT, syscall.EFBIG, syscall.EROFS} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
