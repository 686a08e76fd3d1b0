//go:build unix

package endpoint

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/gopipe/gopipe/internal/testenv"
)

// TestEscapeTextPrintfB: what tap's help promises, that bash's printf %b
// reads a chunk's text back, holds for bash itself.
func TestEscapeTextPrintfB(t *testing.T) {
	bash := testenv.Tool(t, "bash", "bash")
	in := "a\\b\x00\\x00\t\r\n\x1b\xffé\u200b\U000e0001 end\n"
	text := strings.ReplaceAll(escapeText([]byte(in)), "\n", "")
	cmd := exec.Command(bash, "-c", `printf %b "$1"`, "bash", text)
	cmd.Env = append(cmd.Environ(), "LC_ALL=C.UTF-8")
	out, err := cmd.Output()
	if err != nil || string(out) != in {
		t.Fatalf("printf %%b %q: %v: %q, want %q", text, err, out, in)
	}
}
