package mkfifo

import (
	"errors"
	"io/fs"
	"strings"
)

// A chmod-style mode, octal or symbolic ("u=rw,go=", "+x", "a-w"), with the
// exact semantics of GNU's (gnulib's modechange.c), on which mkfifo -m
// rests: symbolic clauses without a who-letter are cut by the umask, octal
// modes and clauses with one are not.

const (
	modeAll = 0o7777 // what chmod can set: permissions, setuid, setgid, sticky
	sUID    = 0o4000
	sGID    = 0o2000
	sVTX    = 0o1000
	rwxU    = 0o700
	rwxG    = 0o070
	rwxO    = 0o007
	rUGO    = 0o444
	wUGO    = 0o222
	xUGO    = 0o111
)

type modeFlag int

const (
	ordinary modeFlag = iota
	copyExisting
	xIfAnyX
)

type modeChange struct {
	op        byte // '=', '+' or '-'
	flag      modeFlag
	affected  uint32 // who: 0 means "everyone, less the umask"
	value     uint32
	mentioned uint32
}

var errInvalidMode = errors.New("invalid mode")

// compileMode parses a mode as gnulib's mode_compile does.
func compileMode(s string) ([]modeChange, error) {
	if s != "" && s[0] >= '0' && s[0] < '8' {
		var v uint32
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '7' {
				return nil, errInvalidMode
			}
			v = v*8 + uint32(s[i]-'0')
			if v > modeAll {
				return nil, errInvalidMode
			}
		}
		// Fewer than 5 digits keep the directory setuid/setgid bits they
		// do not mention (irrelevant for FIFOs, kept for fidelity).
		mentioned := uint32(modeAll)
		if len(s) < 5 {
			mentioned = v&(sUID|sGID) | sVTX | 0o777
		}
		return []modeChange{{op: '=', affected: modeAll, value: v, mentioned: mentioned}}, nil
	}
	var changes []modeChange
	p := 0
	for {
		var affected uint32
	who:
		for ; p < len(s); p++ {
			switch s[p] {
			case 'u':
				affected |= sUID | rwxU
			case 'g':
				affected |= sGID | rwxG
			case 'o':
				affected |= sVTX | rwxO
			case 'a':
				affected |= modeAll
			default:
				break who
			}
		}
		if p >= len(s) || !strings.ContainsRune("=+-", rune(s[p])) {
			return nil, errInvalidMode
		}
		for p < len(s) && strings.ContainsRune("=+-", rune(s[p])) {
			op := s[p]
			p++
			var value uint32
			flag := ordinary
			if p < len(s) && strings.ContainsRune("ugo", rune(s[p])) {
				switch s[p] {
				case 'u':
					value = rwxU
				case 'g':
					value = rwxG
				case 'o':
					value = rwxO
				}
				flag = copyExisting
				p++
			} else {
			perms:
				for ; p < len(s); p++ {
					switch s[p] {
					case 'r':
						value |= rUGO
					case 'w':
						value |= wUGO
					case 'x':
						value |= xUGO
					case 'X':
						flag = xIfAnyX
					case 's':
						value |= sUID | sGID
					case 't':
						value |= sVTX
					default:
						break perms
					}
				}
			}
			mentioned := value
			if affected != 0 {
				mentioned = affected & value
			}
			changes = append(changes, modeChange{op: op, flag: flag, affected: affected, value: value, mentioned: mentioned})
		}
		if p == len(s) {
			return changes, nil
		}
		if s[p] != ',' {
			return nil, errInvalidMode
		}
		p++
	}
}

// adjustMode applies changes to old as gnulib's mode_adjust does, for a
// file that is not a directory.
func adjustMode(old uint32, umask uint32, changes []modeChange) uint32 {
	mode := old & modeAll
	for _, c := range changes {
		value := c.value
		switch c.flag {
		case copyExisting:
			value &= mode
			var spread uint32
			if value&rUGO != 0 {
				spread |= rUGO
			}
			if value&wUGO != 0 {
				spread |= wUGO
			}
			if value&xUGO != 0 {
				spread |= xUGO
			}
			value |= spread
		case xIfAnyX:
			if mode&xUGO != 0 {
				value |= xUGO
			}
		}
		if c.affected != 0 {
			value &= c.affected
		} else {
			value &^= umask
		}
		switch c.op {
		case '=':
			var preserved uint32
			if c.affected != 0 {
				preserved = ^c.affected
			}
			mode = mode&preserved | value
		case '+':
			mode |= value
		case '-':
			mode &^= value
		}
	}
	return mode
}

// fifoMode is the mode mkfifo -m SPEC gives: SPEC applied to a=rw.
func fifoMode(spec string, umask uint32) (fs.FileMode, error) {
	changes, err := compileMode(spec)
	if err != nil {
		return 0, err
	}
	return fs.FileMode(adjustMode(0o666, umask, changes)), nil
}
