package command

import (
	"os"

	"golang.org/x/sys/windows"
)

// IsTerminal tells whether f is a console: whether it has a console mode.
func IsTerminal(f *os.File) bool {
	var mode uint32
	return windows.GetConsoleMode(windows.Handle(f.Fd()), &mode) == nil
}

// TermWidth is the console f's width in columns, 80 if unknown.
func TermWidth(f *os.File) int {
	var info windows.ConsoleScreenBufferInfo
	if err := windows.GetConsoleScreenBufferInfo(windows.Handle(f.Fd()), &info); err != nil {
		return 80
	}
	if w := int(info.Window.Right-info.Window.Left) + 1; w > 0 {
		return w
	}
	return 80
}
