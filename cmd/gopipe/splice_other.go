//go:build !linux

package main

import "os"

// spliceCopy is Linux's splice(2) copy (splice_linux.go); elsewhere the
// caller copies otherwise.
func spliceCopy(dst, src *os.File, p *progress) (n int64, handled bool, err error) {
	return 0, false, nil
}

// growPipe enlarges a pipe on Linux; elsewhere pipes keep their size.
func growPipe(f *os.File) int { return 0 }
