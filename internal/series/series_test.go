package series

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	m := Value{Missing: true}
	v := func(f float64) Value { return Value{V: f} }
	tests := []struct {
		in   string
		want []Value
		err  bool
	}{
		{in: "1", want: []Value{v(1)}},
		{in: "1 2 3", want: []Value{v(1), v(2), v(3)}},
		{in: "0.5x2", want: []Value{v(0.5), v(0.5), v(0.5)}},
		{in: "1+2x3", want: []Value{v(1), v(3), v(5), v(7)}},
		{in: "10-2x2", want: []Value{v(10), v(8), v(6)}},
		{in: "-1+1x2", want: []Value{v(-1), v(0), v(1)}},
		{in: "1e2+1e1x1", want: []Value{v(100), v(110)}},
		{in: "1e-1x1", want: []Value{v(0.1), v(0.1)}},
		{in: "_", want: []Value{m}},
		{in: "_x3", want: []Value{m, m, m}},
		{in: "1 _ 2", want: []Value{v(1), m, v(2)}},
		{in: "  ", want: nil},
		{in: "abc", err: true},
		{in: "1x", err: true},
		{in: "1x-1", err: true},
		{in: "1+2", err: true},
		{in: "NaN", err: true},
		{in: "Inf", err: true},
		// Every expanded value must be finite, not only the numbers written (issue 7).
		{in: "1+1e308x10", err: true},
		{in: "70x3 1+1e308x29", err: true},
		{in: "-1-1e308x2", err: true},
		{in: "1e308+1e308x1", err: true},
		{in: "1.7e308+1e307x0", want: []Value{v(1.7e308)}},
		{in: "1x100000000", err: true},
		// Repeat counts near and past the integer limits never wrap around (issue 7).
		{in: "1.7x9223372036854775807", err: true},
		{in: "_x9223372036854775807", err: true},
		{in: "1x9223372036854775806", err: true},
		{in: "1x18446744073709551615", err: true},
		{in: "1x18446744073709551616", err: true},
		{in: "1 1.7x9223372036854775807", err: true},
		{in: "_x0", want: nil},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if (err != nil) != tt.err {
			t.Errorf("Parse(%q) error = %v, want error %v", tt.in, err, tt.err)
			continue
		}
		if len(got) != len(tt.want) {
			t.Errorf("Parse(%q) = %v, want %v", tt.in, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("Parse(%q)[%d] = %v, want %v", tt.in, i, got[i], tt.want[i])
			}
		}
	}
}

// TestParseSampleCap: a notation expands to at most MaxSamples values, counting
// missing ones, and the cap holds across terms.
// TestParseOutOfRange: a number too large for a float64 is said to be out of range, as
// in rules (not "not a number").
func TestParseOutOfRange(t *testing.T) {
	for _, in := range []string{"1e400", "-1e400", "1 1e400x2", "1e400+1x2", "1+1e400x2"} {
		_, err := Parse(in)
		if err == nil || !strings.Contains(err.Error(), "is out of range (at most about 1.8e308 in magnitude)") {
			t.Errorf("Parse(%q) = %v, want out of range", in, err)
		}
	}
	if got, err := Parse("1e-400"); err != nil || len(got) != 1 || got[0].V != 0 {
		t.Errorf("Parse(1e-400) = %v, %v, want 0", got, err)
	}
}

func TestParseSampleCap(t *testing.T) {
	tests := []struct {
		in   string
		want int // -1: error
	}{
		{in: "1x99999", want: MaxSamples},
		{in: "1x100000", want: -1},
		{in: "_x100000", want: MaxSamples},
		{in: "_x100001", want: -1},
		{in: "1 1x99998", want: MaxSamples},
		{in: "1 1x99999", want: -1},
		{in: "_x99999 1", want: MaxSamples},
		{in: "_x100000 _", want: -1},
		{in: "_x100000 _x0", want: MaxSamples},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		switch {
		case tt.want < 0 && err == nil:
			t.Errorf("Parse(%q) = %d values, want an error", tt.in, len(got))
		case tt.want < 0 && !strings.Contains(err.Error(), "expands past"):
			t.Errorf("Parse(%q) error = %v, want it to say the notation expands past the cap", tt.in, err)
		case tt.want >= 0 && (err != nil || len(got) != tt.want):
			t.Errorf("Parse(%q) = %d values, %v; want %d values", tt.in, len(got), err, tt.want)
		}
	}
}

// TestParseLimit: a smaller cap is enforced the same way; limits outside [0,
// MaxSamples] are clamped.
func TestParseLimit(t *testing.T) {
	tests := []struct {
		in    string
		limit int
		want  int // -1: error
	}{
		{"1x9", 10, 10},
		{"1x10", 10, -1},
		{"_x10", 10, 10},
		{"1 2", 1, -1},
		{"", 0, 0},
		{"1", 0, -1},
		{"1", -5, -1},
		{"1x99999", MaxSamples * 2, MaxSamples},
		{"1x100000", MaxSamples * 2, -1},
	}
	for _, tt := range tests {
		got, err := ParseLimit(tt.in, tt.limit)
		if tt.want < 0 && err == nil || tt.want >= 0 && (err != nil || len(got) != tt.want) {
			t.Errorf("ParseLimit(%q, %d) = %d values, %v; want %d", tt.in, tt.limit, len(got), err, tt.want)
		}
	}
}

// TestSpanNeverOverflows: (n-1)×interval is computed only when it fits in a Duration.
func TestSpanNeverOverflows(t *testing.T) {
	tests := []struct {
		n        int
		interval time.Duration
		want     time.Duration
		err      bool
	}{
		{n: 0, interval: time.Second, want: 0},
		{n: 1, interval: time.Hour, want: 0},
		{n: 3, interval: 30 * time.Second, want: time.Minute},
		{n: MaxSamples, interval: MaxInterval, want: (MaxSamples - 1) * MaxInterval},
		{n: 3, interval: 2000000 * time.Hour, err: true},
		{n: 2, interval: math.MaxInt64, want: math.MaxInt64},
		{n: 3, interval: math.MaxInt64, err: true},
		{n: math.MaxInt, interval: 2, err: true},
		{n: 2, interval: 0, err: true},
		{n: 2, interval: -time.Second, err: true},
	}
	for _, tt := range tests {
		got, err := Span(tt.n, tt.interval)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("Span(%d, %s) = %s, %v; want %s, error %v", tt.n, tt.interval, got, err, tt.want, tt.err)
		}
	}
	end := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if s, err := Expand("1 2 3", end, 2000000*time.Hour); err == nil {
		t.Errorf("Expand with an overflowing span = %v, want an error", s)
	}
}

func TestExpandPlacesLastSampleAtEnd(t *testing.T) {
	end := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	got, err := Expand("1 _ 3", end, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	want := []Sample{{T: end.Add(-60 * time.Second), V: 1}, {T: end, V: 3}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("Expand = %v, want %v", got, want)
	}
	if _, err := Expand("1", end, 0); err == nil {
		t.Fatal("Expand with interval 0: want error")
	}
}

func TestDataAddKeepsOrder(t *testing.T) {
	var d Data
	t0 := time.Unix(100, 0)
	d.Add("n", "m", Sample{T: t0.Add(time.Second), V: 2})
	d.Add("n", "m", Sample{T: t0, V: 1})
	got := d.Get("n", "m")
	if len(got) != 2 || got[0].V != 1 || got[1].V != 2 {
		t.Fatalf("Get = %v", got)
	}
	if d.Get("x", "m") != nil {
		t.Fatal("Get of unknown node: want nil")
	}
}

// FuzzParse: any notation either fails with an error or expands to at most MaxSamples
// values that Expand places in time order, the last one at the end, at every interval
// up to MaxInterval; every value is a finite number. Crashers found so far are kept in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"1+2x3", "_x3 4", "0.5x4 2+0x10", "1e-3-1x2", "95x14", "_"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		vals, err := Parse(s)
		if err != nil {
			return
		}
		if len(vals) > MaxSamples {
			t.Fatalf("Parse(%q) gave %d values, more than MaxSamples", s, len(vals))
		}
		for i, v := range vals {
			if !v.Missing && (math.IsNaN(v.V) || math.IsInf(v.V, 0)) {
				t.Fatalf("Parse(%q)[%d] = %v, want a finite number", s, i, v.V)
			}
		}
		end := time.Unix(1e9, 0)
		for _, interval := range []time.Duration{time.Second, MaxInterval} {
			samples, err := Expand(s, end, interval)
			if err != nil {
				t.Fatalf("Expand(%q, %s) failed after Parse succeeded: %v", s, interval, err)
			}
			for i := 1; i < len(samples); i++ {
				if !samples[i-1].T.Before(samples[i].T) {
					t.Fatalf("Expand(%q, %s): samples out of order", s, interval)
				}
			}
			if len(samples) > 0 && !samples[len(samples)-1].T.Equal(end) && !vals[len(vals)-1].Missing {
				t.Fatalf("Expand(%q, %s): last sample at %s, want %s", s, interval, samples[len(samples)-1].T, end)
			}
		}
	})
}
