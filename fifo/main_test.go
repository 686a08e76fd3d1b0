package fifo

import (
	"fmt"
	"os"
	"testing"
)

// TestMain lets the test binary serve as a Windows FIFO holder, as Make
// starts one by re-running the program (see RunHolder), and as the helper
// process that some tests re-run under another uid.
func TestMain(m *testing.M) {
	if held, err := RunHolder(); held {
		if err != nil {
			fmt.Fprintln(os.Stderr, "fifo holder:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if helper := os.Getenv(helperEnv); helper != "" {
		os.Exit(runHelper(helper, os.Args[1:]))
	}
	os.Exit(m.Run())
}
