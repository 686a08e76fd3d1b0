package fifo

// The marker file of a Windows FIFO at a path (docs/design.md, "FIFOs at a
// path"). Windows has no FIFO in the file system, so Make of a path there
// writes a small marker file that names the pipe serving the FIFO, and
// every open of the path reads it. The format and its checks are pure
// functions, compiled and tested on every OS; only Windows makes markers.

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

const (
	// markerMagic starts every marker, after Cygwin's convention for
	// special files (!<symlink>): a program that reads the file sees what
	// it is.
	markerMagic = "!<fifo>"
	// markerMax bounds what is read of a file to tell whether it is a
	// marker: ours are well under it.
	markerMax = 1024
	// markerPipePrefix starts the name of the pipe serving a marker.
	markerPipePrefix = "gopipe-fifo-"
	// markerPipeLine starts the line naming that pipe.
	markerPipeLine = "pipe "
)

// markerPipeName is the pipe that serves the marker file of the given
// identity (volume serial number and file index, as
// GetFileInformationByHandle tells them): the same for the file wherever
// it is renamed on its volume, different for any other file, and so for a
// new file at the same path.
func markerPipeName(serial uint32, index uint64) string {
	return fmt.Sprintf(`%s%s%08x-%016x`, pipePrefixString, markerPipePrefix, serial, index)
}

// pipePrefixString is \\.\pipe\ on every OS (pipePrefix is Windows'
// only).
const pipePrefixString = `\\.\pipe\`

// formatMarker is the content of the marker served by pipe: the magic, the
// pipe, and a line for whoever reads it with another program.
func formatMarker(pipe string) []byte {
	return fmt.Appendf(nil, "%s\n%s%s\n# A gopipe FIFO. gopipe commands open this file's path as the FIFO;\n# other programs must open the pipe above, not this file.\n",
		markerMagic, markerPipeLine, pipe)
}

// errNotMarker: the file does not start like a marker at all.
var errNotMarker = errors.New("not a FIFO marker")

// parseMarker reads a marker's content. A file that does not start with
// the magic is errNotMarker; one that does but is not exactly what
// formatMarker writes (up to the comment lines and CRLF line ends, which an
// editor may bring) is damaged: the error says how and, where a pipe line
// is still there, pipe is what it names.
func parseMarker(b []byte) (pipe string, err error) {
	if !bytes.HasPrefix(b, []byte(markerMagic)) {
		return "", errNotMarker
	}
	if len(b) > markerMax {
		return findPipeLine(b), fmt.Errorf("longer than a marker (%d bytes or more)", markerMax)
	}
	if !bytes.HasSuffix(b, []byte("\n")) {
		return findPipeLine(b), errors.New("cut short (no final newline)")
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	for i := range lines {
		lines[i] = strings.TrimSuffix(lines[i], "\r")
	}
	if lines[0] != markerMagic {
		return findPipeLine(b), fmt.Errorf("first line %s is not %s", strconv.Quote(lines[0]), markerMagic)
	}
	for i, l := range lines[1:] {
		switch {
		case strings.HasPrefix(l, "#"):
		case strings.HasPrefix(l, markerPipeLine) && pipe == "":
			pipe = strings.TrimPrefix(l, markerPipeLine)
			if !validMarkerPipe(pipe) {
				return "", fmt.Errorf("line %d names %s, not a gopipe FIFO's pipe", i+2, strconv.Quote(pipe))
			}
		default:
			return pipe, fmt.Errorf("line %d is %s", i+2, strconv.Quote(l))
		}
	}
	if pipe == "" {
		return "", errors.New("no pipe line")
	}
	return pipe, nil
}

// findPipeLine is what a damaged marker's pipe line names, if it is there
// and well formed; else "".
func findPipeLine(b []byte) string {
	for l := range strings.SplitSeq(string(b), "\n") {
		if p, ok := strings.CutPrefix(strings.TrimSuffix(l, "\r"), markerPipeLine); ok && validMarkerPipe(p) {
			return p
		}
	}
	return ""
}

// validMarkerPipe tells whether p is a pipe name markerPipeName makes.
func validMarkerPipe(p string) bool {
	rest, ok := strings.CutPrefix(p, pipePrefixString+markerPipePrefix)
	if !ok || len(rest) != 8+1+16 || rest[8] != '-' {
		return false
	}
	for i, c := range rest {
		if i != 8 && !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
