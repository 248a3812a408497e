// Package redact keeps credentials out of messages. A URL such as a Prometheus address
// may carry user info (http://user:password@host); every message, log line, warning and
// error that shows such a URL shows it through URL, and URLs are parsed with
// ParseHTTPURL, whose errors never hold the raw string (url.Parse's do).
package redact

import (
	"fmt"
	"net/url"
	"strings"
)

// Mask replaces credentials in the URLs this package shows.
const Mask = "xxxxx"

// URL returns raw as a message may show it. A URL that parses keeps its scheme, host,
// path and query; its user info is masked: "user:xxxxx@" when it has a password (as
// url.URL.Redacted shows it), "xxxxx@" when it is a bare user name, which is often a
// token. A string that does not parse as a URL with an authority is never shown as
// written: only its "scheme://" and what follows its last "@" (the host) are kept, the
// rest is masked, since a mistyped URL may hold a password anywhere.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err == nil && u.Opaque == "" {
		if u.User != nil {
			if _, ok := u.User.Password(); ok {
				u.User = url.UserPassword(u.User.Username(), Mask)
			} else {
				u.User = url.User(Mask)
			}
		}
		return u.String()
	}
	prefix, rest := "", raw
	if scheme, after, ok := strings.Cut(raw, "://"); ok && isScheme(scheme) {
		prefix, rest = scheme+"://", after
	}
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		return prefix + Mask + rest[i:]
	}
	return prefix + Mask
}

// isScheme reports whether s is a URL scheme: a letter, then letters, digits, "+", "-"
// or ".".
func isScheme(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (i == 0 || !(c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return true
}

// URLError is an invalid URL. It shows the URL redacted, and it deliberately does not
// wrap url.Parse's error, whose text holds the raw URL (and so its password).
type URLError struct {
	// URL is the URL as URL shows it.
	URL string
	// Reason says what is wrong: "does not parse", "scheme must be http or https", ...
	Reason string
}

// Error implements error.
func (e *URLError) Error() string {
	return fmt.Sprintf("invalid URL %q: %s; want http(s)://host[:port][/path]", e.URL, e.Reason)
}

// ParseHTTPURL parses an http or https URL with a host. Its error is a *URLError.
func ParseHTTPURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, &URLError{URL: URL(raw), Reason: "does not parse"}
	case u.Scheme != "http" && u.Scheme != "https":
		reason := "scheme must be http or https"
		if u.Scheme == "" {
			reason = "no scheme"
		}
		return nil, &URLError{URL: URL(raw), Reason: reason}
	case u.Host == "":
		return nil, &URLError{URL: URL(raw), Reason: "no host"}
	}
	return u, nil
}
