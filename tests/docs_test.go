package tests

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

// docBlock is one fenced code block of the documentation.
type docBlock struct {
	name   string // FILE#N, N counting the blocks of that language in FILE
	script string
}

// docBlocks returns the ```lang blocks of README.md and docs/*.md: the
// commands a reader is told to run, which the tests run too, so that the
// documentation cannot rot.
func docBlocks(t *testing.T, lang string) []docBlock {
	t.Helper()
	files, _ := filepath.Glob("../docs/*.md")
	files = append([]string{"../README.md"}, files...)
	block := regexp.MustCompile("(?ms)^```" + regexp.QuoteMeta(lang) + "\n(.*?)^```$")
	var blocks []docBlock
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range block.FindAllStringSubmatch(string(text), -1) {
			blocks = append(blocks, docBlock{filepath.Base(f) + "#" + strconv.Itoa(i+1), m[1]})
		}
	}
	return blocks
}

// copyReadme puts README.md in the block's directory, at hand as in a
// clone.
func copyReadme(dir string) {
	if b, err := os.ReadFile("../README.md"); err == nil {
		os.WriteFile(filepath.Join(dir, "README.md"), b, 0o644)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
