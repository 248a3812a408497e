package notify

import (
	"fmt"
	"strings"
)

// checkHeader checks an HTTP header's name (an RFC 9110 token) and value (no control
// character but tab: a newline would split the header). Errors name the header, never
// its value, which may be a secret.
func checkHeader(name, value string) error {
	if name == "" || strings.ContainsFunc(name, func(r rune) bool { return !isTokenChar(r) }) {
		return fmt.Errorf("header name %q is not a valid HTTP header name", name)
	}
	if strings.ContainsFunc(value, func(r rune) bool { return (r < ' ' && r != '\t') || r == 0x7f }) {
		return fmt.Errorf("header %s: the value holds a newline or another control character", name)
	}
	return nil
}

// isTokenChar reports whether r may appear in an HTTP token (a header name).
func isTokenChar(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	}
	return strings.ContainsRune("!#$%&'*+-.^_`|~", r)
}
