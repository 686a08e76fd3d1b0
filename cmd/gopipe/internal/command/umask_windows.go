package command

// Umask: Windows has no umask.
func Umask() uint32 { return 0 }
