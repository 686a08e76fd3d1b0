package command

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"unicode"
	"unicode/utf8"

	"github.com/gopipe/gopipe/internal/remote"
)

// Strerror is the C library's message for err, as GNU tools print it
// ("No such file or directory"): Go's errno strings are the same text with
// a lower-case first letter. Other errors keep their message, less the
// operation and path that our own message already gives.
func Strerror(err error) string {
	// How a remote NAME's other side failed is a sentence of its own
	// ("ssh could not connect to h"), which names the culprit first.
	var re *remote.Error
	if errors.As(err, &re) {
		return re.Msg
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return capitalize(errno.Error())
	}
	for {
		switch e := err.(type) {
		case *os.PathError:
			err = e.Err
			continue
		case *os.SyscallError:
			err = e.Err
			continue
		case *net.OpError:
			err = e.Err
			continue
		}
		return capitalize(err.Error())
	}
}

func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// isWindowsPath tells a drive path (C:\x, C:/x) or a UNC or device path
// (\\server\share, \\.\pipe\x).
func isWindowsPath(s string) bool {
	drive := len(s) >= 3 && s[1] == ':' && (s[2] == '\\' || s[2] == '/') &&
		('a' <= s[0]|0x20 && s[0]|0x20 <= 'z')
	return drive || strings.HasPrefix(s, `\\`)
}

// Quote quotes a file name for a message as GNU's quoteaf does (the
// shell-escape-always style): 'name', "it's" when the name holds a single
// quote, and $'\n' pieces for control characters, so that what is printed
// can be pasted back into a shell.
func Quote(s string) string {
	// Outside a UTF-8 locale, as in GNU's C locale, a byte past ASCII is
	// no printable character: it is escaped as a control character is.
	ascii := !utf8Locale()
	plain := utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || ascii && r >= 0x80 })
	if plain {
		switch {
		case !strings.Contains(s, "'"):
			return "'" + s + "'"
		case !strings.ContainsAny(s, "\"$`\\!"):
			return `"` + s + `"`
		}
	}
	// Like GNU, open a quote first even if it closes at once ('').
	var b strings.Builder
	b.WriteByte('\'')
	inQuote := true
	open := func(q bool) {
		if q != inQuote {
			b.WriteByte('\'')
			inQuote = q
		}
	}
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\'':
			open(false)
			b.WriteString(`\'`)
		case r == utf8.RuneError && n == 1, r < 0x20, r == 0x7f:
			open(false)
			b.WriteString("$'" + cEscape(s[i]) + "'")
		case ascii && r >= 0x80:
			open(false)
			b.WriteString("$'")
			for j := 0; j < n; j++ {
				b.WriteString(cEscape(s[i+j]))
			}
			b.WriteString("'")
		default:
			open(true)
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	open(false)
	return b.String()
}

func cEscape(c byte) string {
	switch c {
	case '\a':
		return `\a`
	case '\b':
		return `\b`
	case '\f':
		return `\f`
	case '\n':
		return `\n`
	case '\r':
		return `\r`
	case '\t':
		return `\t`
	case '\v':
		return `\v`
	}
	return fmt.Sprintf(`\%03o`, c)
}

// Quotef quotes a file name for a message as GNU's quotef does (used by
// tee, cat and others for "PROG: NAME: error"): the name as it is when a
// shell would take it as one word, else as quote does. A colon is quoted
// too, since these messages use it as a separator. On Windows a Windows
// path is left as it is: its backslashes and drive colon are no shell's
// business there.
func Quotef(s string) string {
	if s == "" || !utf8.ValidString(s) {
		return Quote(s)
	}
	if runtime.GOOS == "windows" && isWindowsPath(s) && !strings.ContainsAny(s, " \"'") {
		return s
	}
	ascii := !utf8Locale()
	for i, r := range s {
		switch {
		case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0, ascii && r >= 0x80:
			return Quote(s)
		case strings.ContainsRune(" !\"$&'()*;<=>?[\\^`|:", r):
			return Quote(s)
		case (r == '#' || r == '~') && i == 0:
			return Quote(s)
		case (r == '{' || r == '}') && len(s) == 1:
			return Quote(s)
		}
	}
	return s
}

// StrerrorPath renders a path error as "PATH: reason".
func StrerrorPath(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Path + ": " + Strerror(pe.Err)
	}
	return Strerror(err)
}

// StrerrorExec renders an error of os/exec as "NAME: reason".
func StrerrorExec(err error) string {
	var ee *exec.Error
	if errors.As(err, &ee) {
		return ee.Name + ": " + Strerror(ee.Err)
	}
	return StrerrorPath(err)
}

// LocaleQuote quotes s as GNU's quote() does (gnulib's
// locale_quoting_style, used by argmatch's messages among others): in
// ‘curly quotes’ when the locale's character set is UTF-8, else in 'ASCII
// quotes', with C escapes for what is not printable. The locale is the
// environment's, as setlocale(LC_ALL, "") finds it: LC_ALL, else LC_CTYPE,
// else LANG.
func LocaleQuote(s string) string {
	open, close := "'", "'"
	if utf8Locale() {
		open, close = "\u2018", "\u2019"
	}
	var b strings.Builder
	b.WriteString(open)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == utf8.RuneError && n == 1, r < 0x20, r == 0x7f:
			b.WriteString(cEscape(s[i]))
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	b.WriteString(close)
	return b.String()
}

// utf8Locale tells whether the environment's locale has the UTF-8
// character set ("C.UTF-8", "en_US.utf8"); "C", "POSIX" and an empty
// environment are ASCII.
func utf8Locale() bool {
	for _, v := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		if l := os.Getenv(v); l != "" {
			l = strings.ToLower(l)
			return strings.Contains(l, "utf-8") || strings.Contains(l, "utf8")
		}
	}
	return false
}

// Visible is s with its control characters (and invalid UTF-8) shown as C
// escapes, \n and \001, so that it stays on one line and off the
// terminal's controls.
func Visible(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || r == utf8.RuneError }) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r < 0x20 || r == 0x7f || r == utf8.RuneError && n == 1 {
			b.WriteString(cEscape(s[i]))
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}
