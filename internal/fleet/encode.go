package fleet

import (
	"strconv"
	"strings"
	"time"

	"github.com/nodeguardian/nodeguardian/internal/series"
)

// Encode writes samples as series notation on the grid that ends at end with the given
// interval: value i of a series is at end - (k-1-i)*interval, a grid point without a
// sample is "_", and runs of equal values are compacted ("97x9"). Samples are placed on
// the nearest grid point; samples after end are dropped. The result expands back to the
// same samples (series.Expand), exactly: values are printed with full precision.
func Encode(data *series.Data, end time.Time, interval time.Duration) map[string]map[string]string {
	out := map[string]map[string]string{}
	if data == nil || interval <= 0 {
		return out
	}
	for node, metrics := range data.Samples {
		for metric, samples := range metrics {
			s := encodeOne(samples, end, interval)
			if s == "" {
				continue
			}
			if out[node] == nil {
				out[node] = map[string]string{}
			}
			out[node][metric] = s
		}
	}
	return out
}

func encodeOne(samples []series.Sample, end time.Time, interval time.Duration) string {
	slots := map[int64]float64{} // grid index counted back from end → value
	var oldest int64 = -1
	for _, s := range samples {
		back := end.Sub(s.T)
		if back < -interval/2 {
			continue
		}
		k := int64((back + interval/2) / interval)
		slots[k] = s.V
		if k > oldest {
			oldest = k
		}
	}
	if oldest < 0 {
		return ""
	}
	var terms []string
	for k := oldest; k >= 0; {
		v, ok := slots[k]
		run := int64(1)
		for k-run >= 0 {
			w, ok2 := slots[k-run]
			if ok2 != ok || (ok && w != v) {
				break
			}
			run++
		}
		terms = append(terms, term(v, ok, run))
		k -= run
	}
	return strings.Join(terms, " ")
}

func term(v float64, present bool, run int64) string {
	if !present {
		if run == 1 {
			return "_"
		}
		return "_x" + strconv.FormatInt(run, 10)
	}
	s := strconv.FormatFloat(v, 'g', -1, 64)
	if run == 1 {
		return s
	}
	return s + "x" + strconv.FormatInt(run-1, 10)
}
