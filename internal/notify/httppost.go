package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nodeguardian/nodeguardian/internal/redact"
)

// userAgent is the User-Agent of every request.
const userAgent = "ngctl-notify/1"

// request is one JSON POST.
type request struct {
	url     string            // the real URL
	shown   string            // the URL as errors show it
	headers map[string]string // config headers
	files   map[string]Secret // headers read from secret files
	extra   http.Header       // per-notification headers
	body    []byte
	secrets []string // values to scrub from errors, besides the header files'
}

// post sends r. Network errors, 5xx and 429 answers are retryable (with the answer's
// Retry-After); other non-2xx answers are permanent. Errors show r.shown, never r.url
// or a secret.
func (d *Dispatcher) post(ctx context.Context, r request) error {
	// An answer may echo part of the URL: its query values (a token) are scrubbed too.
	secrets := append(slices.Clone(r.secrets), redact.URLSecrets(r.url, false)...)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url, bytes.NewReader(r.body))
	if err != nil {
		return permanent(fmt.Errorf("POST %s: cannot build the request", r.shown))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	for k, v := range r.headers {
		if err := checkHeader(k, v); err != nil { // a request that can never be sent
			return permanent(fmt.Errorf("POST %s: %w", r.shown, err))
		}
		req.Header.Set(k, v)
	}
	for k, s := range r.files {
		v, err := s.Value()
		if err != nil {
			return permanent(fmt.Errorf("header %s: %w", k, err))
		}
		if err := checkHeader(k, v); err != nil {
			return permanent(fmt.Errorf("POST %s: %w", r.shown, err))
		}
		secrets = append(secrets, v)
		req.Header.Set(k, v)
	}
	for k, vs := range r.extra {
		req.Header[k] = vs
	}
	resp, err := d.opts.HTTPClient.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text holds the URL
		}
		err = scrubError(fmt.Errorf("POST %s: %w", r.shown, err), secrets)
		if ctx.Err() == nil && isInvalidRequest(err) {
			return permanent(err)
		}
		return &retryableError{err: err}
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 == 2 {
		return nil
	}
	msg := fmt.Sprintf("POST %s: %s", r.shown, resp.Status)
	if s := cleanSnippet(snippet); s != "" {
		msg += ": " + s
	}
	err = errors.New(scrub(msg, secrets))
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode/100 == 5 {
		return &retryableError{err: err, after: retryAfter(resp.Header.Get("Retry-After"), d.opts.Now())}
	}
	return permanent(err)
}

// cleanSnippet is the start of an answer's body as one line of valid UTF-8.
func cleanSnippet(b []byte) string {
	s := strings.ToValidUTF8(string(b), "?")
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		cut := 200
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// retryAfter parses a Retry-After header (seconds or an HTTP date); 0 when absent or
// invalid.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
		return time.Duration(min(n, 86400)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// isInvalidRequest reports whether an error of http.Client.Do says the request itself is
// malformed (an invalid header, method or URL): sending it again cannot succeed.
func isInvalidRequest(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "invalid header field") || strings.Contains(msg, "invalid method") ||
		strings.Contains(msg, "unsupported protocol scheme")
}
