//go:build !linux && !windows

package fifo

import (
	"errors"
	"os"
)

func usageOf(path string) (Usage, error) {
	return Usage{}, &os.PathError{Op: "usage", Path: path, Err: errors.ErrUnsupported}
}
