package ruletest

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// Report is the outcome of one test file.
type Report struct {
	// File is the test file.
	File string
	// Err is set when the file or its rule files could not be loaded: no test ran.
	Err error
	// Tests are the outcomes, in file order.
	Tests []TestResult
}

// TestResult is the outcome of one test.
type TestResult struct {
	Name string
	// Line is where the test starts in the file.
	Line int
	// Failures are the readable differences, in time order; none when the test passed.
	Failures []string
}

// Passed reports whether the test passed.
func (r TestResult) Passed() bool { return len(r.Failures) == 0 }

// Passed counts the tests that passed.
func (r Report) Passed() int {
	n := 0
	for _, t := range r.Tests {
		if t.Passed() {
			n++
		}
	}
	return n
}

// Failed counts the tests that failed; a file that could not be loaded counts as one.
func (r Report) Failed() int {
	if r.Err != nil {
		return 1
	}
	return len(r.Tests) - r.Passed()
}

// WriteText writes the report for people: "PASS name", or "FAIL name" followed by the
// failures, indented; a file that could not be loaded is "ERROR file" and the error.
func (r Report) WriteText(w io.Writer) error {
	var b strings.Builder
	if r.Err != nil {
		fmt.Fprintf(&b, "ERROR %s\n", r.File)
		for _, line := range strings.Split(r.Err.Error(), "\n") {
			fmt.Fprintf(&b, "    %s\n", line)
		}
	}
	for _, t := range r.Tests {
		if t.Passed() {
			fmt.Fprintf(&b, "PASS %s\n", t.Name)
			continue
		}
		fmt.Fprintf(&b, "FAIL %s\n", t.Name)
		for _, f := range t.Failures {
			fmt.Fprintf(&b, "    %s\n", f)
		}
	}
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return fmt.Errorf("ruletest: write report: %w", err)
	}
	return nil
}

// JUnit XML, as CI systems read it.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the reports as JUnit XML: one testsuite per file, one testcase per
// test; a file that could not be loaded is a testsuite with one errored testcase.
func WriteJUnit(w io.Writer, reports []Report) error {
	doc := junitSuites{Name: "ngctl test"}
	for _, r := range reports {
		s := junitSuite{Name: r.File}
		if r.Err != nil {
			s.Tests, s.Errors = 1, 1
			s.Cases = append(s.Cases, junitCase{Name: "load", Classname: r.File,
				Error: &junitMessage{Message: "the test file could not be loaded", Text: r.Err.Error()}})
		}
		for _, t := range r.Tests {
			c := junitCase{Name: t.Name, Classname: r.File}
			s.Tests++
			if !t.Passed() {
				s.Failures++
				c.Failure = &junitMessage{
					Message: t.Failures[0],
					Text:    strings.Join(t.Failures, "\n"),
				}
			}
			s.Cases = append(s.Cases, c)
		}
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
		doc.Suites = append(doc.Suites, s)
	}
	out, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("ruletest: junit: %w", err)
	}
	if _, err := fmt.Fprintf(w, "%s%s\n", xml.Header, out); err != nil {
		return fmt.Errorf("ruletest: junit: %w", err)
	}
	return nil
}
