package series

import (
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
		{in: "1x100000000", err: true},
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
		end := time.Unix(1e9, 0)
		samples, err := Expand(s, end, time.Second)
		if err != nil {
			t.Fatalf("Expand(%q) failed after Parse succeeded: %v", s, err)
		}
		for i := 1; i < len(samples); i++ {
			if !samples[i-1].T.Before(samples[i].T) {
				t.Fatalf("Expand(%q): samples out of order", s)
			}
		}
	})
}
