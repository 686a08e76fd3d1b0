package fifo

import "golang.org/x/sys/unix"

// sysOpen is open(2)'s number where the architecture has one besides
// openat (arm64 and riscv64 have none).
func sysOpen() (int, bool) { return unix.SYS_OPEN, true }
