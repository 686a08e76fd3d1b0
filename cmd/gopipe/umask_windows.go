package main

// Windows has no umask.
func currentUmask() uint32 { return 0 }
