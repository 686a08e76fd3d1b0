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

// StopSignals is how a server is asked to stop. The first ctrl-C, SIGTERM
// or SIGHUP (the terminal closed), or the end of e's context, closes stop:
// take no more clients, let those there finish. Every later one comes on
// again: stop now. release, which must be called, gives the signals back.
func (e *Env) StopSignals() (stop <-chan struct{}, again <-chan os.Signal, release func()) {
	sigs := make(chan os.Signal, 4)
	e.Notify(sigs, StopSignals...)
	first := make(chan struct{})
	later := make(chan os.Signal, 4)
	done := make(chan struct{})
	go func() {
		select {
		case <-sigs:
		case <-e.Ctx.Done():
		case <-done:
			return
		}
		close(first)
		for {
			select {
			case sig := <-sigs:
				select {
				case later <- sig:
				default:
				}
			case <-done:
				return
			}
		}
	}()
	var once sync.Once
	return first, later, func() { once.Do(func() { e.StopNotify(sigs); close(done) }) }
}
