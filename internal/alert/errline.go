package alert

import (
	"regexp"
	"strconv"
	"strings"
)

// errLinePatterns find the template line in a compile error: text/template's
// "template: NAME:LINE:", gonja's "(Line: N Col: M" and this package's "line N column M".
var errLinePatterns = []*regexp.Regexp{
	regexp.MustCompile(`template: [^:]*:(\d+):`),
	regexp.MustCompile(`\(Line: (\d+) Col: \d+`),
	regexp.MustCompile(`\bline (\d+) column \d+`),
}

// ErrorLine is the line of text (1 for the first) that a Compile error of text is at, or 0
// when neither the error nor the text tells. An error that names no line (gonja says line
// 0 for some) is placed at the first unbalanced delimiter of the text; one past the text's
// end (an unexpected end of the template) at its last line.
func ErrorLine(err error, text string) int {
	if err == nil {
		return 0
	}
	n := 0
	for _, re := range errLinePatterns {
		if m := re.FindStringSubmatch(err.Error()); m != nil {
			n, _ = strconv.Atoi(m[1])
			break
		}
	}
	last := strings.Count(strings.TrimRight(text, "\n"), "\n") + 1
	switch {
	case n >= 1 && n <= last:
		return n
	case n > last:
		return last
	}
	return unbalancedLine(text)
}

// delimiters are the template delimiters of both syntaxes, openers with their closers.
var delimiters = [][2]string{{"{{", "}}"}, {"{%", "%}"}, {"{#", "#}"}}

// unbalancedLine is the line of text's first delimiter left unbalanced: a closer with no
// opener, an opener inside another, or an opener never closed; 0 when all are balanced.
func unbalancedLine(text string) int {
	line, open, openLine := 1, "", 0
	for i := 0; i < len(text); i++ {
		if text[i] == '\n' {
			line++
			continue
		}
		rest := text[i:]
		for _, d := range delimiters {
			switch {
			case strings.HasPrefix(rest, d[0]):
				if open != "" {
					return openLine
				}
				open, openLine = d[1], line
				i++
			case strings.HasPrefix(rest, d[1]):
				if open != d[1] {
					return line
				}
				open = ""
				i++
			default:
				continue
			}
			break
		}
	}
	if open != "" {
		return openLine
	}
	return 0
}
