package fifo

// testHelpers are the helper processes the Windows tests run (see helperEnv).
var testHelpers = map[string]func(args []string) int{}
