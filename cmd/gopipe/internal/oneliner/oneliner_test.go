package oneliner

import (
	"errors"
	"reflect"
	"testing"
)

// Words splits as Parse does, and refuses what is more than one simple
// command or outside the subset, naming it.
func TestWords(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want []string
		err  string
	}{
		{src: `tr a-z A-Z`, want: []string{"tr", "a-z", "A-Z"}},
		{src: `printf '%s\n' "a b" c\ d`, want: []string{"printf", `%s\n`, "a b", "c d"}},
		{src: `cat "*"`, want: []string{"cat", "*"}},
		{src: `cat *`, err: `unsupported: glob pattern "*" (quote it)`},
		{src: `echo $HOME`, err: "unsupported: parameter expansion $HOME"},
		{src: `a | b`, err: "one command, without | ; && || or redirections"},
		{src: `a > f`, err: "one command, without | ; && || or redirections"},
		{src: `a; b`, err: "one command, without | ; && || or redirections"},
		{src: ``, err: "no command"},
		{src: `  `, err: "no command"},
	} {
		got, err := Words(tc.src)
		switch {
		case tc.err != "":
			if err == nil || err.Error() != tc.err {
				t.Errorf("Words(%q): %q, %v; want error %q", tc.src, got, err, tc.err)
			}
		case err != nil || !reflect.DeepEqual(got, tc.want):
			t.Errorf("Words(%q): %q, %v; want %q", tc.src, got, err, tc.want)
		}
	}
	_, err := Words("cat *")
	var ue *UnsupportedError
	if !errors.As(err, &ue) {
		t.Errorf("a glob's error is %T, want *UnsupportedError", err)
	}
}
