package cattee

import "os"

// waitClosed: Windows tells no writer that its pipe's reader went until it
// writes; the remote writer then only learns of it from its input's end.
func waitClosed(*os.File) { select {} }
