package fifo

import (
	"errors"
	"strings"
	"testing"
)

// The marker of a Windows FIFO at a path reads back as written, and every
// way it can be damaged is told apart from a file that is no marker at all
// (pure functions: this runs on every OS).
func TestMarkerFormat(t *testing.T) {
	pipe := markerPipeName(0x1a2b3c4d, 0x0001000000001234)
	if want := `\\.\pipe\gopipe-fifo-1a2b3c4d-0001000000001234`; pipe != want {
		t.Fatalf("markerPipeName = %q, want %q", pipe, want)
	}
	if other := markerPipeName(0x1a2b3c4d, 0x0001000000001235); other == pipe {
		t.Fatal("two files of one volume give one pipe name")
	}
	good := formatMarker(pipe)
	if !strings.HasPrefix(string(good), "!<fifo>\n") {
		t.Fatalf("marker does not start with the magic line: %q", good)
	}
	if got, err := parseMarker(good); err != nil || got != pipe {
		t.Fatalf("parseMarker(formatMarker) = %q, %v", got, err)
	}
	crlf := []byte(strings.ReplaceAll(string(good), "\n", "\r\n"))
	if got, err := parseMarker(crlf); err != nil || got != pipe {
		t.Fatalf("parseMarker with CRLF line ends = %q, %v", got, err)
	}

	for _, c := range []struct {
		name, content string
		pipe          string // named in the damaged marker, if still there
	}{
		{"cut short", string(good[:len(good)-3]), pipe},
		{"only the magic", "!<fifo>", ""},
		{"magic line only", "!<fifo>\n", ""},
		{"junk after the magic", "!<fifo>x\npipe " + pipe + "\n", pipe},
		{"a line added", string(good) + "hi\n", pipe},
		{"appended to", string(good) + strings.Repeat("x", markerMax), pipe},
		{"another pipe", "!<fifo>\npipe \\\\.\\pipe\\someone-else\n", ""},
		{"a file path", "!<fifo>\npipe C:\\x\\f\n", ""},
		{"upper-case hex", "!<fifo>\npipe \\\\.\\pipe\\gopipe-fifo-1A2B3C4D-0001000000001234\n", ""},
		{"two pipe lines", string(good) + "pipe " + pipe + "\n", pipe},
	} {
		got, err := parseMarker([]byte(c.content))
		if err == nil || errors.Is(err, errNotMarker) {
			t.Errorf("%s: parseMarker = %q, %v, want a damaged marker", c.name, got, err)
			continue
		}
		if got != c.pipe {
			t.Errorf("%s: damaged marker names pipe %q, want %q (%v)", c.name, got, c.pipe, err)
		}
	}
	for _, notMarker := range []string{"", "x\r\n", "hello\n", " !<fifo>\n", "!<symlink>\xff\xfex\x00"} {
		if _, err := parseMarker([]byte(notMarker)); !errors.Is(err, errNotMarker) {
			t.Errorf("parseMarker(%q) = %v, want errNotMarker", notMarker, err)
		}
	}
}
