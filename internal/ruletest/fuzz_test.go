package ruletest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nodeguardian/nodeguardian/internal/series"
)

// FuzzParse feeds arbitrary bytes to the test-file parser. It may refuse them but never
// panics; every error is an *Error naming the file; and what it accepts can be stepped
// through: intervals in (0, series.MaxInterval], expectations in strictly increasing
// multiples of the interval within MaxSteps, series within series.MaxSamples.
func FuzzParse(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("..", "..", "examples", "tests", "*.yaml"))
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no example tests to seed from: %v", err)
	}
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(validFile))
	for _, c := range parseErrorCases() {
		f.Add([]byte(c.in))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("f.yaml", data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.File != "f.yaml" || !strings.HasPrefix(err.Error(), "f.yaml") {
				t.Fatalf("error does not name the file: %#v", err)
			}
			return
		}
		for _, tc := range file.Tests {
			checkSteppable(t, tc)
		}
	})
}

// checkSteppable asserts what Run relies on for a parsed test.
func checkSteppable(t *testing.T, tc Test) {
	t.Helper()
	if tc.Interval <= 0 || tc.Interval > series.MaxInterval {
		t.Fatalf("test %q: interval %s accepted", tc.Name, tc.Interval)
	}
	if len(tc.Expect) == 0 {
		t.Fatalf("test %q: accepted without expectations", tc.Name)
	}
	for i, e := range tc.Expect {
		if e.At < 0 || e.At%tc.Interval != 0 || i > 0 && e.At <= tc.Expect[i-1].At {
			t.Fatalf("test %q: expectation %d at %s accepted (interval %s)", tc.Name, i, e.At, tc.Interval)
		}
	}
	if _, err := stepCount(tc.Interval, tc.Expect[len(tc.Expect)-1].At); err != nil {
		t.Fatalf("test %q: accepted but cannot be run: %v", tc.Name, err)
	}
	for node, metrics := range tc.Series {
		for metric, vals := range metrics {
			if _, err := series.Span(len(vals), tc.Interval); err != nil || len(vals) > series.MaxSamples {
				t.Fatalf("test %q: series %s.%s of %d values accepted: %v", tc.Name, node, metric, len(vals), err)
			}
		}
	}
}
