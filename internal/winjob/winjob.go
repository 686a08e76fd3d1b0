// Package winjob starts processes inside a Windows job object: a process
// started suspended is put in the job and only then resumed, so that
// nothing it starts escapes the job (a process's children are in its job).
// The pipeline package and the Windows tests share it; on other systems it
// is empty.
package winjob
