package cattee

import "strconv"

// catFormat is cat's formatting (-b -E -n -s -T -v and their
// combinations), done as GNU cat 9.1 does it, byte for byte. Its state
// carries from one input to the next, as GNU's does: line numbers go on,
// blank lines are squeezed across files, a line without its newline at the
// end of one file continues in the next, and a CR at the end of one read is
// held back until the next byte shows whether it starts "\r\n".
type catFormat struct {
	number      bool // -n: number lines
	nonblank    bool // -b: number only nonempty lines
	squeeze     bool // -s
	ends        bool // -E: $ at line ends, and ^M$ for "\r\n"
	tabs        bool // -T: TAB as ^I
	nonprinting bool // -v: ^X and M-X notation

	// blank counts the newlines seen at the start of the current line:
	// -1 in the middle of a line, 0 at the start of one, 1 after one empty
	// line, 2 after two or more (GNU's "newlines").
	blank     int
	line      int64
	pendingCR bool
}

func (f *catFormat) active() bool {
	return f.number || f.squeeze || f.ends || f.tabs || f.nonprinting
}

// appendNumber appends the next line number as "%6d\t".
func (f *catFormat) appendNumber(out []byte) []byte {
	f.line++
	var digits [20]byte
	d := strconv.AppendInt(digits[:0], f.line, 10)
	for i := len(d); i < 6; i++ {
		out = append(out, ' ')
	}
	out = append(out, d...)
	return append(out, '\t')
}

// append appends the formatted form of in to out.
func (f *catFormat) append(out, in []byte) []byte {
	for i := 0; i < len(in); i++ {
		c := in[i]
		if c == '\n' {
			f.blank++
			if f.blank > 0 { // an empty line
				if f.blank >= 2 {
					f.blank = 2
					if f.squeeze {
						continue
					}
				}
				if f.number && !f.nonblank {
					out = f.appendNumber(out)
				}
			}
			if f.ends {
				if f.pendingCR {
					out = append(out, '^', 'M')
					f.pendingCR = false
				}
				out = append(out, '$')
			}
			out = append(out, '\n')
			continue
		}
		if f.pendingCR {
			out = append(out, '\r')
			f.pendingCR = false
		}
		if f.blank >= 0 { // the first byte of a nonempty line
			if f.number {
				out = f.appendNumber(out)
			}
			f.blank = -1
		}
		if f.nonprinting {
			out = appendNonprinting(out, c, f.tabs)
			continue
		}
		// Without -v, the rest of the line up to a byte we treat
		// specially goes out as it is.
		j := i + 1
		for j < len(in) && in[j] != '\n' && in[j] != '\t' && in[j] != '\r' {
			j++
		}
		switch {
		case c == '\t' && f.tabs:
			out = append(out, '^', 'I')
		case c == '\r' && f.ends:
			// GNU shows the CR of "\r\n" as ^M with -E; when the CR
			// ends what has been read, the next byte will tell.
			switch {
			case i+1 == len(in):
				f.pendingCR = true
			case in[i+1] == '\n':
				out = append(out, '^', 'M')
			default:
				out = append(out, '\r')
			}
		default:
			out = append(out, c)
		}
		out = append(out, in[i+1:j]...)
		i = j - 1
	}
	return out
}

// appendNonprinting appends c in cat -v's notation: ^X for control
// characters but TAB (unless tabs) and LF, ^? for DEL, M- before the
// notation of c-128 for bytes above 127.
func appendNonprinting(out []byte, c byte, tabs bool) []byte {
	switch {
	case c >= 128:
		out = append(out, 'M', '-')
		c -= 128
		if c < 32 {
			return append(out, '^', c+64)
		}
		fallthrough
	case c >= 32:
		if c == 127 {
			return append(out, '^', '?')
		}
		return append(out, c)
	case c == '\t' && !tabs:
		return append(out, '\t')
	default:
		return append(out, '^', c+64)
	}
}
