// Package remote reaches gopipe's endpoints on other machines over the
// user's own OpenSSH: a NAME ssh://[USER@]HOST[:PORT]/NAME runs the system's
// ssh client (so ~/.ssh/config, the agent, keys and known_hosts apply, and
// gopipe never handles a password or a key) with gopipe on the remote side,
// and relays its standard streams. gopipe adds no protocol and no
// authentication of its own.
package remote

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Scheme starts a remote NAME.
const Scheme = "ssh://"

// Name is a NAME on another machine.
type Name struct {
	User, Host, Port string
	// Path is the remote NAME: the URL's path without its first slash,
	// percent-decoded, so ssh://h/demo is the bare name demo and
	// ssh://h//run/x.sock the path /run/x.sock.
	Path string
	// URL is the NAME as given, for messages.
	URL string
}

// Lookup tells whether name means a remote NAME, and parses it. GNU's
// tools read ssh://h/x as a relative path (directory "ssh:", then "h"):
// where such a local file exists, or its directory does (so that GNU's tee
// would create it), it is the local file that is meant, so that a command
// line that worked before still does.
func Lookup(name string) (Name, bool, error) {
	if !strings.HasPrefix(name, Scheme) {
		return Name{}, false, nil
	}
	if _, err := os.Lstat(name); err == nil {
		return Name{}, false, nil
	}
	if _, err := os.Stat(filepath.Dir(name)); err == nil {
		return Name{}, false, nil
	}
	n, err := Parse(name)
	return n, err == nil, err
}

// Parse parses ssh://[USER@]HOST[:PORT]/NAME.
func Parse(s string) (Name, error) {
	bad := func(why string) (Name, error) {
		return Name{}, &os.PathError{Op: "parse", Path: s, Err: fmt.Errorf("%s (want ssh://[USER@]HOST[:PORT]/NAME): %w", why, fs.ErrInvalid)}
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "ssh" {
		return bad("not an ssh:// URL")
	}
	if u.Opaque != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return bad("a query or fragment is no part of a NAME (a ? or # in one is written %3F, %23)")
	}
	n := Name{Host: u.Hostname(), Port: u.Port(), URL: s}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			return bad("no password in the URL: ssh asks for it, or better uses a key")
		}
		n.User = u.User.Username()
	}
	// ssh puts HOST and USER into a ProxyCommand or Match exec (%h, %r),
	// which a shell runs: only what no shell reads specially (OpenSSH
	// 9.6 refuses the rest itself; older ones do not).
	switch {
	case n.Host == "":
		return bad("no HOST")
	case strings.HasPrefix(n.Host, "-") || strings.HasPrefix(n.User, "-"):
		return bad("a HOST or USER may not start with -")
	case !plainWord(n.Host, ".-_:") || strings.Contains(n.Host, ":") && !strings.HasPrefix(u.Host, "["):
		return bad("a HOST is letters, digits, . - _ or an IPv6 address in []")
	case !plainWord(n.User, ".-_@\\") && n.User != "":
		return bad("a USER is letters, digits and . - _ @ \\")
	}
	if n.Port != "" {
		if p, err := strconv.Atoi(n.Port); err != nil || p < 1 || p > 65535 {
			return bad("the PORT is not a port number")
		}
	}
	if !strings.HasPrefix(u.Path, "/") || len(u.Path) < 2 {
		return bad("no NAME after the HOST")
	}
	n.Path = u.Path[1:]
	switch {
	case strings.ContainsRune(n.Path, 0):
		return bad("a NUL in the NAME")
	case n.Path == "-":
		// It would be the remote side's standard stream, which is ours.
		return bad("- is no NAME there")
	}
	return n, nil
}

// plainWord tells whether w is letters, digits and the bytes of extra.
func plainWord(w, extra string) bool {
	for i := 0; i < len(w); i++ {
		c := w[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(extra, c) >= 0) {
			return false
		}
	}
	return true
}

// Options say how to reach the remote side; the zero value takes each from
// the environment, or its default.
type Options struct {
	// SSH is the ssh command's words: else $GOPIPE_SSH split at white
	// space, else ssh.
	SSH []string
	// Gopipe is the remote gopipe: else $GOPIPE_REMOTE_GOPIPE, else
	// gopipe, found on the remote PATH.
	Gopipe string
	// Shell is the remote shell that reads the command line: "sh" (a
	// POSIX shell: anything can be quoted), "cmd" (Windows OpenSSH's
	// default), or "" for what reads the same to both (the default, since
	// which shell a host has cannot be known beforehand); else
	// $GOPIPE_REMOTE_SHELL.
	Shell string
}

// withDefaults fills what o leaves out from the environment.
func (o Options) withDefaults() (Options, error) {
	if o.SSH == nil {
		o.SSH = strings.Fields(os.Getenv("GOPIPE_SSH"))
	}
	if len(o.SSH) == 0 {
		o.SSH = []string{"ssh"}
	}
	if o.Gopipe == "" {
		o.Gopipe = os.Getenv("GOPIPE_REMOTE_GOPIPE")
	}
	if o.Gopipe == "" {
		o.Gopipe = "gopipe"
	}
	if o.Shell == "" {
		o.Shell = os.Getenv("GOPIPE_REMOTE_SHELL")
	}
	switch o.Shell {
	case "", "sh", "cmd":
	default:
		return o, fmt.Errorf("remote shell %q: want sh or cmd", o.Shell)
	}
	return o, nil
}

// Shells are the values of --remote-shell.
var Shells = []string{"sh", "cmd"}

// ErrUnquotable is wrapped by the error for a word that cannot be quoted
// safely for the remote shell.
var ErrUnquotable = errors.New("cannot be quoted safely for the remote shell")

// CommandLine is argv as a command line for the remote shell: quoted so
// that no word can inject anything there. For a POSIX shell every word is
// single-quoted; for cmd.exe, or when the shell is not known, a word is
// taken only if it means the same to both: letters, digits and _ . / : @ + -,
// with spaces inside double quotes, and backslashes where neither shell
// treats one as an escape.
func CommandLine(shell string, argv []string) (string, error) {
	words := make([]string, len(argv))
	for i, w := range argv {
		if strings.ContainsRune(w, 0) {
			return "", fmt.Errorf("%q: a NUL %w", w, ErrUnquotable)
		}
		if shell == "sh" {
			words[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
			continue
		}
		q, ok := portableQuote(w)
		if !ok {
			hint := ""
			if shell == "" {
				hint = " (if the remote shell is a POSIX shell, --remote-shell=sh quotes anything)"
			}
			return "", fmt.Errorf("%q %w: only letters, digits, spaces and _ . / : @ + - \\ can be, for sh and cmd.exe alike%s", w, ErrUnquotable, hint)
		}
		words[i] = q
	}
	return strings.Join(words, " "), nil
}

// portableQuote quotes w so that a POSIX shell and cmd.exe (with the
// program's CommandLineToArgvW) read it the same, if it can.
func portableQuote(w string) (string, bool) {
	if w == "" {
		return `""`, true
	}
	spaces := false
	for i := 0; i < len(w); i++ {
		c := w[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', strings.IndexByte("_./:@+-", c) >= 0:
		case c == ' ':
			spaces = true
		case c == '\\':
			// Inside double quotes sh keeps a backslash before anything
			// but $ ` " \ and newline, and argv parsing before anything
			// but " and \: two in a row, or one at the end (before the
			// closing quote), would differ.
			if i+1 == len(w) || w[i+1] == '\\' {
				return "", false
			}
			spaces = true // quoted, so that sh does not take it as an escape
		default:
			return "", false
		}
	}
	if spaces {
		return `"` + w + `"`, true
	}
	return w, true
}
