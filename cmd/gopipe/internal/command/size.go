package command

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Bytes is the option's value as a number of bytes, min or more (cat's and
// tee's --size and --rate-limit). It reads sizes as pv does, which is what
// users of these options know: a decimal number, a fraction allowed
// ("1.5M"), and a suffix K, M, G, T, P or E (either case) for powers of
// 1024, which may be written KiB, MiB, …; as in GNU's tools, KB, MB, …
// are powers of 1000. An error reads as GNU's for a bad size (gnulib's
// xstrtol_fatal, as in "sort: invalid suffix in --buffer-size argument
// '5X'"): "invalid --size argument 'x'", "invalid suffix in --size argument
// '5X'", "--size argument '9E9' too large", naming the option in full
// however it was abbreviated; GNU prints such messages without a "Try"
// line.
func (o Opt) Bytes(min int64) (int64, error) {
	n, err := parseBytes(o.Value)
	switch {
	case err == errBadSuffix:
		return 0, fmt.Errorf("invalid suffix in %s argument '%s'", o.name(), o.Value)
	case err == errTooLarge:
		return 0, fmt.Errorf("%s argument '%s' too large", o.name(), o.Value)
	case err != nil || n < min:
		return 0, fmt.Errorf("invalid %s argument '%s'", o.name(), o.Value)
	}
	return n, nil
}

type bytesError string

func (e bytesError) Error() string { return string(e) }

const (
	errBadNumber bytesError = "invalid number"
	errBadSuffix bytesError = "invalid suffix"
	errTooLarge  bytesError = "too large"
)

// parseBytes parses a size as Bytes describes it.
func parseBytes(s string) (int64, error) {
	i := 0
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, errBadNumber
	}
	whole, frac := s[:i], ""
	if i < len(s) && s[i] == '.' {
		j := i + 1
		for j < len(s) && '0' <= s[j] && s[j] <= '9' {
			j++
		}
		frac, i = s[i+1:j], j
	}
	mult, err := sizeSuffix(s[i:])
	if err != nil {
		return 0, err
	}
	if frac == "" {
		// Exactly, in integers: a float would round large sizes.
		n, err := strconv.ParseUint(whole, 10, 64)
		if err != nil || n > math.MaxInt64/mult {
			return 0, errTooLarge
		}
		return int64(n * mult), nil
	}
	f, err := strconv.ParseFloat(whole+"."+frac, 64)
	if err != nil {
		return 0, errBadNumber
	}
	v := f * float64(mult)
	if v >= math.MaxInt64 {
		return 0, errTooLarge
	}
	return int64(v), nil
}

// sizeSuffix is the multiplier a size's suffix stands for.
func sizeSuffix(s string) (uint64, error) {
	if s == "" {
		return 1, nil
	}
	p := strings.IndexByte("KMGTPE", s[0]&^0x20)
	if p < 0 || s[0] < 'A' {
		return 0, errBadSuffix
	}
	base := uint64(1024)
	switch rest := s[1:]; rest {
	case "", "iB", "ib":
	case "B", "b":
		base = 1000
	default:
		return 0, errBadSuffix
	}
	mult := uint64(1)
	for range p + 1 {
		mult *= base
	}
	return mult, nil
}

// FormatBytes is n in binary units with three significant digits, as pv
// shows sizes (cat and tee's progress, graph's rates): "512B", "1.50KiB", "12.3MiB", "123GiB".
func FormatBytes(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%dB", max(n, 0))
	}
	v := float64(n)
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	u := -1
	for v >= 1000 && u < len(units)-1 {
		v /= 1024
		u++
	}
	switch {
	case v < 10:
		return fmt.Sprintf("%.2f%s", v, units[u])
	case v < 100:
		return fmt.Sprintf("%.1f%s", v, units[u])
	}
	return fmt.Sprintf("%.0f%s", v, units[u])
}
