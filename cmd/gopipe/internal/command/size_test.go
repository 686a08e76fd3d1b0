package command

import "testing"

func TestOptBytes(t *testing.T) {
	opt := &Option{Long: "rate-limit", Arg: RequiredArg}
	for _, tc := range []struct {
		in   string
		want int64
		err  string
	}{
		{in: "0", want: 0},
		{in: "512", want: 512},
		{in: "50m", want: 50 << 20},
		{in: "50M", want: 50 << 20},
		{in: "50MiB", want: 50 << 20},
		{in: "1.5K", want: 1536},
		{in: "2k", want: 2048},
		{in: "1g", want: 1 << 30},
		{in: "3T", want: 3 << 40},
		{in: "1E", want: 1 << 60},
		{in: "1KB", want: 1000},
		{in: "2MB", want: 2000000},
		{in: "9223372036854775807", want: 1<<63 - 1},
		{in: "0.5", want: 0},
		{in: "", err: "invalid --rate-limit argument ''"},
		{in: "abc", err: "invalid --rate-limit argument 'abc'"},
		{in: "-5", err: "invalid --rate-limit argument '-5'"},
		{in: ".5M", err: "invalid --rate-limit argument '.5M'"},
		{in: "5X", err: "invalid suffix in --rate-limit argument '5X'"},
		{in: "5 M", err: "invalid suffix in --rate-limit argument '5 M'"},
		{in: "5MiBs", err: "invalid suffix in --rate-limit argument '5MiBs'"},
		{in: "5B", err: "invalid suffix in --rate-limit argument '5B'"},
		{in: "5@", err: "invalid suffix in --rate-limit argument '5@'"},
		{in: "9223372036854775808", err: "--rate-limit argument '9223372036854775808' too large"},
		{in: "8E", err: "--rate-limit argument '8E' too large"},
		{in: "8.0E", err: "--rate-limit argument '8.0E' too large"},
		{in: "7.99E", want: 9211842821808707584},
		{in: "99999999999999999999999", err: "--rate-limit argument '99999999999999999999999' too large"},
	} {
		got, err := Opt{Option: opt, Value: tc.in, HasValue: true}.Bytes(0)
		switch {
		case tc.err != "" && (err == nil || err.Error() != tc.err):
			t.Errorf("%q: %d, %v; want error %q", tc.in, got, err, tc.err)
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("%q: %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	if _, err := (Opt{Option: opt, Value: "0", HasValue: true}).Bytes(1); err == nil || err.Error() != "invalid --rate-limit argument '0'" {
		t.Errorf("0 with a minimum of 1: %v", err)
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0B", 1023: "1023B", 1024: "1.00KiB", 1536: "1.50KiB", 10 << 10: "10.0KiB",
		999 << 10: "999KiB", 1000 << 10: "0.98MiB", 123 << 20: "123MiB", 5 << 30: "5.00GiB",
	} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
