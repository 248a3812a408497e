package alert

import (
	"regexp"
	"strconv"
)

// errLinePatterns find the template line in a compile error: text/template's
// "template: NAME:LINE:", gonja's "(Line: N Col: M" and this package's "line N column M".
var errLinePatterns = []*regexp.Regexp{
	regexp.MustCompile(`template: [^:]*:(\d+):`),
	regexp.MustCompile(`\(Line: (\d+) Col: \d+`),
	regexp.MustCompile(`\bline (\d+) column \d+`),
}

// ErrorLine is the line of the template text (1 for the first) that a Compile error is
// at, or 0 when the error does not say.
func ErrorLine(err error) int {
	if err == nil {
		return 0
	}
	for _, re := range errLinePatterns {
		if m := re.FindStringSubmatch(err.Error()); m != nil {
			n, _ := strconv.Atoi(m[1])
			return n
		}
	}
	return 0
}
