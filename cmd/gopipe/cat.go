package main

// runCat is GNU cat: see the cat issue. Not written yet.
func runCat(e *env, args []string) int {
	e.errorf("not implemented yet")
	return 1
}
