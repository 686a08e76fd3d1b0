package fifo

import (
	"fmt"
	"os"
)

// helperEnv, when set in the environment of the test binary, makes it run
// the named helper from testHelpers instead of the tests: tests use it to
// act as another process (another uid via setpriv on Unix, a second client
// on Windows) without needing any tool but the test binary itself.
const helperEnv = "GOPIPE_FIFO_TEST_HELPER"

func runHelper(name string, args []string) int {
	h, ok := testHelpers[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "no test helper %q\n", name)
		return 2
	}
	return h(args)
}
