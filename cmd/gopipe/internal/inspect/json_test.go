package inspect

import (
	"bytes"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command/commandtest"
	"github.com/gopipe/gopipe/fifo"
)

//go:embed entries.schema.json
var entriesSchema []byte

// schema is the JSON schema of ls --json and info --json, compiled.
func schema(t *testing.T) *jsonschema.Schema {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(entriesSchema))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("entries.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("entries.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// checkJSON validates what a --json command printed against the schema,
// and returns it decoded.
func checkJSON(t *testing.T, out string) []map[string]any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
	if err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if err := schema(t).Validate(v); err != nil {
		t.Fatalf("does not match entries.schema.json: %v\n%s", err, out)
	}
	var entries []map[string]any
	if err := json.Unmarshal([]byte(out), &entries); err != nil {
		t.Fatal(err)
	}
	// The schema lets later versions add fields, so it cannot catch one
	// added without it: this does.
	var doc struct {
		Defs map[string]struct {
			Properties map[string]any `json:"properties"`
		} `json:"$defs"`
	}
	json.Unmarshal(entriesSchema, &doc)
	for _, e := range entries {
		for k, v := range e {
			if _, ok := doc.Defs["entry"].Properties[k]; !ok {
				t.Errorf("field %q is not in entries.schema.json", k)
			}
			ps, _ := v.([]any)
			for _, p := range ps {
				for pk := range p.(map[string]any) {
					if _, ok := doc.Defs["process"].Properties[pk]; !ok {
						t.Errorf("field %s.%s is not in entries.schema.json", k, pk)
					}
				}
			}
		}
	}
	return entries
}

func randomName(t *testing.T) string {
	b := make([]byte, 6)
	rand.Read(b)
	return "gopipe-json-" + hex.EncodeToString(b)
}

// TestJSONSchema: ls --json and info --json print an array of entries that
// matches the schema on every OS: [] for nothing, every field present, the
// OS's missing values null.
func TestJSONSchema(t *testing.T) {
	name := randomName(t)
	if runtime.GOOS != "windows" {
		t.Setenv("XDG_RUNTIME_DIR", commandtest.TempDir(t))
	}
	l, err := fifo.Listen(name, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	status, out, stderr := commandtest.Run(t, Info, "", "--json", name)
	if status != 0 {
		t.Fatalf("info --json %s: %d %s", name, status, stderr)
	}
	entries := checkJSON(t, out)
	if len(entries) != 1 || entries[0]["namespace"] == "files" {
		t.Fatalf("info --json %s: want the endpoint alone, got %s", name, out)
	}
	e := entries[0]
	if runtime.GOOS == "windows" {
		if e["mode"] != nil || e["mode_string"] != nil || e["sddl"] == nil {
			t.Errorf("Windows: want mode and mode_string null, sddl set: %s", out)
		}
	} else {
		if e["mode"] != "0600" || e["mode_string"] != "srw-------" || e["sddl"] != nil || e["instances"] != nil || e["max_instances"] != nil {
			t.Errorf("Unix: want mode \"0600\", mode_string \"srw-------\", sddl and instances null: %s", out)
		}
	}

	if runtime.GOOS == "windows" {
		status, out, stderr = commandtest.Run(t, Ls, "", "--json")
		if status != 0 && strings.Contains(stderr, "Bad device type") {
			t.Skipf("Wine cannot list \\\\.\\pipe\\ (%s): the listing's JSON is not checked", strings.TrimSpace(stderr))
		}
		if status != 0 {
			t.Fatalf("ls --json: %d %s", status, stderr)
		}
		checkJSON(t, out)
		if !strings.Contains(out, name) {
			t.Errorf("ls --json does not list %s:\n%s", name, out)
		}
		return
	}
	// Unix: an empty directory is [], not null; a FIFO of mode 0 keeps its
	// mode; both meanings of a bare name are in one array.
	dir := commandtest.TempDir(t)
	status, out, _ = commandtest.Run(t, Ls, "", "--json", dir)
	if status != 0 || strings.TrimSpace(out) != "[]" {
		t.Errorf("ls --json of an empty directory: %d %q, want []", status, out)
	}
	checkJSON(t, out)
	if err := fifo.Make(filepath.Join(dir, "f"), 0); err != nil {
		t.Fatal(err)
	}
	_, out, _ = commandtest.Run(t, Ls, "", "--json", dir)
	if e := checkJSON(t, out); len(e) != 1 || e[0]["mode"] != "0000" || e[0]["mode_string"] != "p---------" {
		t.Errorf("ls --json, a FIFO of mode 0: %s", out)
	}
	t.Chdir(dir)
	if err := fifo.Make(name, fifo.DefaultMode); err != nil {
		t.Fatal(err)
	}
	_, out, _ = commandtest.Run(t, Info, "", "--json", name)
	if e := checkJSON(t, out); len(e) != 2 || e[0]["namespace"] != "files" || e[1]["namespace"] != "endpoints" {
		t.Errorf("info --json of a name in both namespaces: want one array of two: %s", out)
	}
}

func TestLsMode(t *testing.T) {
	for _, c := range []struct {
		in  fifo.Info
		str string
		oct string
	}{
		{fifo.Info{Kind: fifo.KindFIFO, Mode: fs.ModeNamedPipe | 0o600}, "prw-------", "0600"},
		{fifo.Info{Kind: fifo.KindSocket, Mode: fs.ModeSocket | 0o777}, "srwxrwxrwx", "0777"},
		{fifo.Info{Kind: fifo.KindOther, Mode: fs.ModeSymlink | 0o777}, "lrwxrwxrwx", "0777"},
		{fifo.Info{Kind: fifo.KindOther, Mode: fs.ModeSetuid | 0o755}, "-rwsr-xr-x", "4755"},
		{fifo.Info{Kind: fifo.KindOther, Mode: fs.ModeSetgid | 0o640}, "-rw-r-S---", "2640"},
		{fifo.Info{Kind: fifo.KindOther, Mode: fs.ModeDir | fs.ModeSticky | 0o1777}, "drwxrwxrwt", "1777"},
		{fifo.Info{Kind: fifo.KindOther, Mode: fs.ModeDir | fs.ModeSticky | 0o770}, "drwxrwx--T", "1770"},
	} {
		if got := lsMode(c.in); got != c.str {
			t.Errorf("lsMode(%v) = %q, want %q", c.in.Mode, got, c.str)
		}
		if got := octalMode(c.in.Mode); got != c.oct {
			t.Errorf("octalMode(%v) = %q, want %q", c.in.Mode, got, c.oct)
		}
	}
}
