package command

import "os"

// ForwardedSignals: the Windows console has ctrl-C and ctrl-Break, both
// os.Interrupt to Go.
var ForwardedSignals = []os.Signal{os.Interrupt}

// EndsWait: every console signal ends a wait.
func EndsWait(os.Signal) bool { return true }

// IsInterrupt: Windows reports no deaths by signal.
func IsInterrupt(os.Signal) bool { return false }

// StopSignals: the console's ctrl-C and ctrl-Break.
var StopSignals = []os.Signal{os.Interrupt}
