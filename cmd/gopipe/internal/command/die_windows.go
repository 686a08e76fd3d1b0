package command

import "os"

// DieBy: Windows has no signals to die by; main exits with the status.
func DieBy(os.Signal) {}

// InitSignals: Windows has no SIGQUIT to set up.
func InitSignals() {}
