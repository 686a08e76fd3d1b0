package tests

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gopipe/gopipe/internal/testenv"
)

// TestPerformanceCommands runs every command that docs/performance.md
// gives to reproduce its tables, shrunk to a tiny input and a single run:
// not to time anything (timings belong in the benchmarks), but so that the
// documented commands and scripts keep working. A command the test does not
// know how to shrink fails it.
func TestPerformanceCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the benchmarks once each")
	}
	for tool, pkg := range map[string]string{"pv": "pv", "socat": "socat", "hyperfine": "hyperfine", "fuser": "psmisc"} {
		testenv.Tool(t, tool, pkg)
	}
	text, err := os.ReadFile("../docs/performance.md")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(must(binDir()), "gopipe")
	shrink := []struct {
		re   *regexp.Regexp
		with string
		want string // in the output
	}{
		{regexp.MustCompile(`^(go test -run '\^\$' -bench \. \./fifo/)$`), "$1 -benchtime 1x", "BenchmarkFIFO"},
		{regexp.MustCompile(`^bench/serve\.sh \d+$`), "bench/serve.sh 5", "| gopipe | 1 |"},
		{regexp.MustCompile(`^GOPIPE_LOAD=full (go test -run TestLoadManyClients -v \./tests/)$`), "$1", "--- PASS: TestLoadManyClients"},
		{regexp.MustCompile(`^bench/cat\.sh \d+ \d+$`), "bench/cat.sh 1 1", "| gopipe cat |"},
		{regexp.MustCompile(`^bench/tee\.sh \S+ \d+$`), "GOPIPE=" + bin + " bench/tee.sh 1M 1", "| gopipe tee |"},
		{regexp.MustCompile(`^bench/startup\.sh \d+$`), "bench/startup.sh 3", "| README build |"},
		{regexp.MustCompile(`^bench/progress\.sh \d+ \S+$`), "GOPIPE=" + bin + " bench/progress.sh 1 10m", "| gopipe cat --force-progress |"},
		{regexp.MustCompile(`^bench/run\.sh \d+ \d+$`), "GOPIPE=" + bin + " bench/run.sh 1 2", "| grep > f && wc |"},
		{regexp.MustCompile(`^bench/fuzz\.sh \S+$`), "bench/fuzz.sh 1s", "ok    ./cmd/gopipe/internal/oneliner FuzzParse"},
		{regexp.MustCompile(`^bench/signals\.sh \d+$`), "bench/signals.sh 1", "| gopipe cat f |"},
		{regexp.MustCompile(`^bench/info\.sh \d+ \d+$`), "bench/info.sh 10 2", "| gopipe info |"},
		{regexp.MustCompile(`^bench/ssh\.sh \S+ \d+$`), "bench/ssh.sh 1M 1", "| gopipe dial ssh:// |"},
	}
	cmds := regexp.MustCompile(`(?m)^    ((?:[A-Z_]+=\S+ )?(?:go test|bench/)\S*.*)$`).FindAllStringSubmatch(string(text), -1)
	if len(cmds) < len(shrink) {
		t.Fatalf("found %d commands in docs/performance.md, want at least %d", len(cmds), len(shrink))
	}
	for _, m := range cmds {
		doc := m[1]
		t.Run(doc, func(t *testing.T) {
			if strings.HasPrefix(doc, "bench/ssh.sh") {
				testenv.Root(t) // it starts an sshd
			}
			for _, s := range shrink {
				if !s.re.MatchString(doc) {
					continue
				}
				line := s.re.ReplaceAllString(doc, s.with)
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
				defer cancel()
				cmd := exec.CommandContext(ctx, "bash", "-c", line)
				cmd.Dir = ".."
				out, err := cmd.CombinedOutput()
				if err != nil || !strings.Contains(string(out), s.want) {
					t.Fatalf("%s: %v, want %q in the output:\n%s", line, err, s.want, out)
				}
				t.Logf("%s:\n%s", line, out)
				return
			}
			t.Fatalf("docs/performance.md gives %q, which this test cannot shrink: teach it", doc)
		})
	}
}
