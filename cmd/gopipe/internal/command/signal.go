package command

import (
	"os"
	"sync"
	"syscall"
)

// How a signal ends a command is decided here, for every command:
// ForwardedSignals are those a command that runs others passes on,
// EndsWait those that end a wait of ours (a FIFO's open, say),
// SignalStatus the status a shell reports for a death by one.

// SignalStatus is the status a shell gives a command killed by sig.
func SignalStatus(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return StatusInterrupted
}

// OnSignals calls handle, one at a time, for each of ForwardedSignals that
// arrives, until the returned stop is called.
func (e *Env) OnSignals(handle func(os.Signal)) (stop func()) {
	sigs := make(chan os.Signal, 8)
	e.Notify(sigs, ForwardedSignals...)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case sig := <-sigs:
				handle(sig)
			}
		}
	}()
	return func() {
		e.StopNotify(sigs)
		close(done)
	}
}

// StopSignals returns a channel closed on ctrl-C or SIGTERM, when e's
// context ends, or by release, which must be called: how a server is asked
// to stop.
func (e *Env) StopSignals() (stop <-chan struct{}, release func()) {
	sigs := make(chan os.Signal, 1)
	e.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	ch := make(chan struct{})
	var once sync.Once
	closeCh := func() { once.Do(func() { close(ch) }) }
	go func() {
		select {
		case <-sigs:
		case <-e.Ctx.Done():
		case <-ch:
		}
		closeCh()
	}()
	return ch, func() { e.StopNotify(sigs); closeCh() }
}
