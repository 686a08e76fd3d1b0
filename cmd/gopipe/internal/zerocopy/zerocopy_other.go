//go:build !linux

package zerocopy

import (
	"errors"
	"os"
)

// Other OSes have no splice(2) or tee(2): the callers copy otherwise.

func copyFiles(dst, src *os.File, add func(int64)) (int64, bool, error) { return 0, false, nil }
func growFile(*os.File) int                                             { return 0 }
func pipeSize() int                                                     { return MaxPipeSize }

type pipeTee struct{ partial, gathers int }

func newPipeTee(any, []any) *pipeTee                { return nil }
func (*pipeTee) fill() (int, error)                 { return 0, errors.ErrUnsupported }
func (*pipeTee) deliver(int, Outputs) (bool, error) { return false, errors.ErrUnsupported }
func (*pipeTee) close()                             {}
