package main

// runTee is GNU tee: see the tee issue. Not written yet.
func runTee(e *env, args []string) int {
	e.errorf("not implemented yet")
	return 1
}
