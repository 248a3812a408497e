// Package redact keeps credentials out of messages. A URL such as a Prometheus address
// may carry user info (http://user:password@host); every message, log line, warning and
// error that shows such a URL shows it through URL, and URLs are parsed with
// ParseHTTPURL, whose errors never hold the raw string (url.Parse's do).
package redact

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Mask replaces credentials in the URLs this package shows.
const Mask = "xxxxx"

// URL returns raw as a message may show it. A URL with a host and no "@" after it keeps
// its scheme, host, path and query; its user info is masked: "user:xxxxx@" when it has a
// password (as url.URL.Redacted shows it), "xxxxx@" when it is a bare user name, which
// is often a token. Any other string is never shown as written (masked), since a
// mistyped URL may hold a password anywhere: one that does not parse, has no host
// ("http:/user:password@host", "http:///user:password@host"), is opaque
// ("user:password@host:9090"), or has an "@" after its host, written or
// percent-encoded ("http://host/path?x=1@user:password": user info in the wrong place).
func URL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.Host == "" ||
		hasAt(u.Host) || hasAt(u.EscapedPath()) || hasAt(u.RawQuery) || hasAt(u.EscapedFragment()) {
		return masked(raw)
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), Mask)
		} else {
			u.User = url.User(Mask)
		}
	}
	return u.String()
}

// hasAt reports whether a part of a URL holds an "@", written or percent-encoded.
func hasAt(s string) bool {
	return strings.Contains(s, "@") || strings.Contains(strings.ToLower(s), "%40")
}

// masked shows a string that is not a plain URL with a host: its "scheme:" and the
// slashes after it (when followed by one), then Mask, then "@" and the host[:port] after
// its last "@" (shownHost); no "@": nothing after the prefix is shown.
func masked(raw string) string {
	prefix, rest := "", raw
	if scheme, after, ok := strings.Cut(raw, ":"); ok && isScheme(scheme) {
		if slashes := len(after) - len(strings.TrimLeft(after, "/")); slashes > 0 {
			prefix, rest = scheme+":"+after[:slashes], after[slashes:]
		}
	} else if strings.HasPrefix(raw, "//") {
		prefix, rest = "//", raw[2:]
	}
	i := strings.LastIndex(rest, "@")
	if i < 0 {
		return prefix + Mask
	}
	return prefix + Mask + "@" + shownHost(rest[i+1:])
}

// shownHost is what follows the last "@" of a masked string as it may be shown: up to a
// "/", "?" or "#" (the rest masked), its host, and its port only when that is digits —
// "prometheus:90x0" is shown "prometheus:xxxxx", so that "@user:password" typed after
// the host never shows the password.
func shownHost(s string) string {
	tail := ""
	if j := strings.IndexAny(s, "/?#"); j >= 0 {
		s, tail = s[:j], "/"+Mask
	}
	host, port := s, ""
	if strings.HasPrefix(s, "[") && strings.Contains(s, "]") {
		end := strings.Index(s, "]") + 1
		host, port = s[:end], s[end:]
	} else if k := strings.Index(s, ":"); k >= 0 {
		host, port = s[:k], s[k:]
	}
	if p, ok := strings.CutPrefix(port, ":"); ok && (p == "" || strings.Trim(p, "0123456789") != "") {
		port = ":" + Mask
	} else if port != "" && !ok {
		port = Mask
	}
	return host + port + tail
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
	// URL is the URL as URLQuery shows it: user info, query values and fragment masked,
	// since an invalid URL may be a receiver's, whose query may hold a token.
	URL string
	// Reason says what is wrong: "does not parse", "scheme must be http or https", ...
	Reason string
}

// Error implements error.
func (e *URLError) Error() string {
	return fmt.Sprintf("invalid URL %q: %s; want http(s)://host[:port][/path]", e.URL, e.Reason)
}

// ParseHTTPURL parses an http or https URL with a host name and, when it has a port, a
// port 1–65535. Its error is a *URLError.
func ParseHTTPURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, &URLError{URL: URLQuery(raw), Reason: "does not parse"}
	case u.Scheme != "http" && u.Scheme != "https":
		reason := "scheme must be http or https"
		if u.Scheme == "" {
			reason = "no scheme"
		}
		return nil, &URLError{URL: URLQuery(raw), Reason: reason}
	case u.Hostname() == "":
		return nil, &URLError{URL: URLQuery(raw), Reason: "no host"}
	case u.Port() != "" && !validPort(u.Port()):
		return nil, &URLError{URL: URLQuery(raw), Reason: "port must be 1-65535"}
	}
	return u, nil
}

// validPort reports whether p, digits (url.Parse checks), is a port number 1–65535.
func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535
}

// ParseBaseURL is ParseHTTPURL for the base URL of a server NodeGuardian queries
// (Prometheus): it also refuses an "@" after the host, written or percent-encoded. Such
// a URL is shown masked down to its last "@" (URL), so two of them could not be told
// apart in messages and series names; and it is most likely user info typed in the
// wrong place. Its error is a *URLError.
func ParseBaseURL(raw string) (*url.URL, error) {
	u, err := ParseHTTPURL(raw)
	if err != nil {
		return nil, err
	}
	if hasAt(u.EscapedPath()) || hasAt(u.RawQuery) || hasAt(u.EscapedFragment()) {
		return nil, &URLError{URL: URLQuery(raw), Reason: `an "@" after the host (user info goes before it: http://user:password@host)`}
	}
	return u, nil
}

// urlInText matches what looks like a URL in free text: a scheme, "://", and everything
// up to a space, a quote, an angle bracket or a backslash (so a URL inside JSON text
// ends at its closing quote).
var urlInText = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^\s"'<>\\]+`)

// Text masks the user info of every URL in s that carries one (as URL does), leaving the
// rest of s, and URLs without user info, as they are. It is for values echoed from
// user input (a rule's fields in a diff) that may hold credentials anywhere.
func Text(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	return urlInText.ReplaceAllStringFunc(s, func(u string) string {
		if !hasAt(u) {
			return u
		}
		return URL(u)
	})
}
