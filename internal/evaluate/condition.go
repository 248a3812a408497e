package evaluate

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/series"
)

// Why says what decided a condition.
type Why int8

// Reasons for a condition result.
const (
	WhyHeld        Why = iota // every sample in the window satisfies the condition
	WhyNotMet                 // the latest sample does not satisfy it
	WhyPending                // the latest sample satisfies it, but not for the whole duration yet
	WhyNoData                 // no sample at all
	WhyStale                  // the latest sample is older than the staleness limit
	WhyNotCovered             // the window is not covered by samples (too little history)
	WhyGap                    // a gap longer than 2 intervals inside the window
	WhySourceError            // the metric source failed
)

// ConditionResult is the outcome of one condition on one node. Numbers are kept so that
// reasons are formatted only when someone reads them.
type ConditionResult struct {
	Condition *v1.Condition
	Result    Tri
	Why       Why
	Last      float64       // latest sample value
	Worst     float64       // the sample in the window closest to failing (min for >, max for <)
	HeldFor   time.Duration // how long the trailing run of samples has satisfied the condition
	Age       time.Duration // age of the latest sample
	Gap       time.Duration // the gap that broke coverage (WhyGap, WhyNotCovered)
	Err       string        // source error (WhySourceError)
}

// Remaining is how much longer a pending condition must keep holding for its duration
// to complete: its duration less HeldFor. It is false for a condition that is not
// pending (WhyPending, or WhyNotCovered with a run of satisfying samples): one that
// holds, fails on its latest sample, or has no usable data is not completed by time
// alone.
func (r ConditionResult) Remaining() (time.Duration, bool) {
	if r.Why != WhyPending && (r.Why != WhyNotCovered || r.HeldFor <= 0) {
		return 0, false
	}
	left := r.Condition.DurationValue() - r.HeldFor
	if left <= 0 {
		return 0, false
	}
	return left, true
}

// Reason is a one-line human explanation, e.g. "cpuLoadRatio 1.9 > 1.5 for 3m (min 1.7)".
func (r ConditionResult) Reason() string {
	c := r.Condition
	m := c.Metric
	sym := opSymbol(c.Operator)
	th := num(c.Value)
	d := c.DurationValue()
	switch r.Why {
	case WhyHeld:
		if d == 0 {
			return fmt.Sprintf("%s %s %s %s", m, num(r.Last), sym, th)
		}
		return fmt.Sprintf("%s %s %s %s for %s (%s %s)", m, num(r.Last), sym, th, Dur(d), worstWord(c.Operator), num(r.Worst))
	case WhyNotMet:
		return fmt.Sprintf("%s %s, not %s %s", m, num(r.Last), sym, th)
	case WhyPending:
		return fmt.Sprintf("%s %s %s %s for %s of %s", m, num(r.Last), sym, th, Dur(r.HeldFor), Dur(d))
	case WhyNoData:
		return fmt.Sprintf("%s: no data", m)
	case WhyStale:
		return fmt.Sprintf("%s: stale, last sample %s ago", m, Dur(r.Age))
	case WhyNotCovered:
		return fmt.Sprintf("%s: only %s of data for a %s window", m, Dur(r.Gap), Dur(d))
	case WhyGap:
		return fmt.Sprintf("%s: gap of %s in the %s window", m, Dur(r.Gap), Dur(d))
	case WhySourceError:
		return fmt.Sprintf("%s: metric source failed: %s", m, r.Err)
	}
	return m
}

func worstWord(op v1.Operator) string {
	switch op {
	case v1.OpGreaterThan, v1.OpGreaterThanOrEqual:
		return "min"
	case v1.OpLessThan, v1.OpLessThanOrEqual:
		return "max"
	}
	return "worst"
}

func opSymbol(op v1.Operator) string {
	switch op {
	case v1.OpGreaterThan:
		return ">"
	case v1.OpLessThan:
		return "<"
	case v1.OpEqualTo:
		return "=="
	case v1.OpNotEqualTo:
		return "!="
	case v1.OpGreaterThanOrEqual:
		return ">="
	case v1.OpLessThanOrEqual:
		return "<="
	}
	return string(op)
}

func num(f float64) string { return strconv.FormatFloat(f, 'g', 6, 64) }

// Dur formats a duration the way rules write them: "3m", "90s" → "1m30s", "1h".
func Dur(d time.Duration) string {
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func satisfies(op v1.Operator, v, th float64) bool {
	switch op {
	case v1.OpGreaterThan:
		return v > th
	case v1.OpLessThan:
		return v < th
	case v1.OpEqualTo:
		return v == th
	case v1.OpNotEqualTo:
		return v != th
	case v1.OpGreaterThanOrEqual:
		return v >= th
	case v1.OpLessThanOrEqual:
		return v <= th
	}
	return false
}

// worse reports whether a is closer to failing than b under op.
func worse(op v1.Operator, a, b float64) bool {
	switch op {
	case v1.OpGreaterThan, v1.OpGreaterThanOrEqual:
		return a < b
	case v1.OpLessThan, v1.OpLessThanOrEqual:
		return a > b
	}
	return false
}

// Clock is what a condition is evaluated against.
type Clock struct {
	Now       time.Time     // the evaluation instant
	Interval  time.Duration // expected spacing of samples
	Staleness time.Duration // the latest sample may be at most this old
}

// Condition evaluates one condition over one node's samples (in time order).
// With duration D it holds when every sample in [now-D, now] satisfies it and the window
// is covered: a sample less than one interval after the window start (on an aligned grid:
// at the start itself), a latest sample no older than 2 intervals, and no gap over 2
// intervals between samples.
func Condition(c *v1.Condition, samples []series.Sample, clk Clock) ConditionResult {
	r := ConditionResult{Condition: c}
	// Ignore samples after now (rule tests hold the whole future; live data never does).
	if n := len(samples); n > 0 && samples[n-1].T.After(clk.Now) {
		end := sort.Search(n, func(i int) bool { return samples[i].T.After(clk.Now) })
		samples = samples[:end]
	}
	if len(samples) == 0 {
		r.Why = WhyNoData
		return r
	}
	last := samples[len(samples)-1]
	r.Last, r.Age = last.V, clk.Now.Sub(last.T)
	if r.Age > clk.Staleness {
		r.Why = WhyStale
		return r
	}
	if !satisfies(c.Operator, last.V, c.Value) {
		r.Result, r.Why = False, WhyNotMet
		return r
	}
	d := c.DurationValue()
	if d == 0 {
		r.Result, r.Why, r.Worst = True, WhyHeld, last.V
		return r
	}
	return window(r, samples, d, clk)
}

// window decides a condition whose latest sample satisfies it, over its duration d.
func window(r ConditionResult, samples []series.Sample, d time.Duration, clk Clock) ConditionResult {
	c := r.Condition
	start := clk.Now.Add(-d)
	first := sort.Search(len(samples), func(i int) bool { return !samples[i].T.Before(start) })
	r.Worst = samples[len(samples)-1].V
	runStart := samples[len(samples)-1].T
	gap := time.Duration(0)
	if clk.Now.Sub(samples[len(samples)-1].T) > 2*clk.Interval {
		gap = clk.Now.Sub(samples[len(samples)-1].T)
	}
	failed := false
	for i := len(samples) - 1; i >= first; i-- {
		s := samples[i]
		if !satisfies(c.Operator, s.V, c.Value) {
			failed = true
			break
		}
		runStart = s.T
		if worse(c.Operator, s.V, r.Worst) {
			r.Worst = s.V
		}
		if i > first {
			if g := s.T.Sub(samples[i-1].T); g > 2*clk.Interval && g > gap {
				gap = g
			}
		}
	}
	r.HeldFor = clk.Now.Sub(runStart)
	switch {
	case failed:
		r.Result, r.Why = False, WhyPending
	case gap > 0:
		r.Why, r.Gap = WhyGap, gap
	case first == len(samples) || samples[first].T.Sub(start) >= clk.Interval:
		r.Why, r.Gap = WhyNotCovered, r.HeldFor
	default:
		r.Result, r.Why = True, WhyHeld
		r.HeldFor = clk.Now.Sub(heldSince(samples, first, c, clk.Interval))
	}
	return r
}

// heldSince follows a condition that holds over its window back in time, to the first
// sample of the unbroken run that satisfies it, so that "held for" orders firings by
// when they really began.
func heldSince(samples []series.Sample, first int, c *v1.Condition, interval time.Duration) time.Time {
	i := first
	for i > 0 && satisfies(c.Operator, samples[i-1].V, c.Value) && samples[i].T.Sub(samples[i-1].T) <= 2*interval {
		i--
	}
	return samples[i].T
}
