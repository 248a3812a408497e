package fleet

import (
	"math"
	"testing"
	"time"

	"github.com/nodeguardian/nodeguardian/internal/series"
)

func TestEncodeRoundTrip(t *testing.T) {
	end := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	step := 30 * time.Second
	at := func(k int) time.Time { return end.Add(-time.Duration(k) * step) }
	tests := []struct {
		name    string
		samples []series.Sample
		want    string
	}{
		{"runs compact", []series.Sample{{T: at(3), V: 1}, {T: at(2), V: 1}, {T: at(1), V: 2.5}, {T: at(0), V: 2.5}}, "1x1 2.5x1"},
		{"gaps become _", []series.Sample{{T: at(5), V: 1}, {T: at(1), V: 3}}, "1 _x3 3 _"},
		{"missing latest", []series.Sample{{T: at(2), V: 1}}, "1 _x2"},
		{"full precision", []series.Sample{{T: at(0), V: 1.0 / 3}}, "0.3333333333333333"},
		{"off-grid snaps to nearest", []series.Sample{{T: at(1).Add(4 * time.Second), V: 7}, {T: at(0).Add(-3 * time.Second), V: 8}}, "7 8"},
		{"future dropped", []series.Sample{{T: at(0), V: 1}, {T: end.Add(time.Minute), V: 9}}, "1"},
		{"negative and huge", []series.Sample{{T: at(1), V: -2}, {T: at(0), V: math.MaxFloat64}}, "-2 1.7976931348623157e+308"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d series.Data
			d.Add("n", "m", tt.samples...)
			got := Encode(&d, end, step)["n"]["m"]
			if got != tt.want {
				t.Fatalf("Encode = %q, want %q", got, tt.want)
			}
			back, err := series.Expand(got, end, step)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range back {
				found := false
				for _, o := range tt.samples {
					if o.V == s.V && o.T.Sub(s.T).Abs() < step/2 {
						found = true
					}
				}
				if !found {
					t.Errorf("expanded sample %v not among the originals", s)
				}
			}
		})
	}
	if len(Encode(nil, end, step)) != 0 {
		t.Fatal("Encode(nil) is not empty")
	}
}
