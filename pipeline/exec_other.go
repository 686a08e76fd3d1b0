//go:build !unix

package pipeline

import (
	"errors"
	"fmt"
)

// Exec would replace the process with the stage s, as on Unix; here it
// cannot, and returns at once an error that is errors.ErrUnsupported.
func Exec(s Stage) Status {
	return Status{Err: fmt.Errorf("pipeline: exec of %q: %w", s.Args, errors.ErrUnsupported)}
}
