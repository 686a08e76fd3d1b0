//go:build !unix

package run

// searchable: a directory that Stat sees can be entered on Windows, or its
// programs fail there, saying why.
func searchable(string) error { return nil }
