package notify

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/nodeguardian/nodeguardian/internal/redact"
	"github.com/nodeguardian/nodeguardian/internal/srclimit"
)

// Redacted replaces a secret wherever this package would show it.
const Redacted = "<redacted>"

// Secret is a credential read from a file (re-read on every use, so rotated secrets are
// picked up) or given by an environment variable. Every fmt verb shows it as
// "<redacted>" (with its file, when it has one), never its value.
type Secret struct {
	// File is the file holding the secret; "" when it came from the environment.
	File string
	// Source names where the secret came from in messages, e.g. "slack.urlFile" or
	// "$ALERT_SLACK_WEBHOOK".
	Source string
	value  string // from the environment
}

// FileSecret is the secret held in file; source names it in messages.
func FileSecret(file, source string) Secret { return Secret{File: file, Source: source} }

// EnvSecret is a secret given by value; source names it in messages.
func EnvSecret(value, source string) Secret { return Secret{Source: source, value: value} }

// IsSet reports whether the secret has a file or a value.
func (s Secret) IsSet() bool { return s.File != "" || s.value != "" }

// Value reads the secret: the file's content without its trailing newline, or the value
// from the environment. An empty secret is an error; errors never hold the value.
func (s Secret) Value() (string, error) {
	v := s.value
	if s.File != "" {
		data, err := srclimit.ReadFile(s.File, srclimit.MaxConfigSize)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return "", fmt.Errorf("%s: reading %s: %w", s.Source, s.File, err)
		}
		v = strings.TrimRight(string(data), "\r\n")
	}
	if v == "" {
		return "", fmt.Errorf("%s: the secret is empty", s.Source)
	}
	return v, nil
}

// String shows where the secret comes from, never its value.
func (s Secret) String() string {
	if s.File != "" {
		return Redacted + " (file " + s.File + ")"
	}
	if s.value != "" {
		return Redacted
	}
	return ""
}

// GoString is String, for %#v.
func (s Secret) GoString() string { return s.String() }

// Format makes every fmt verb show String.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(s.String())) }

// scrub replaces every secret in msg with Redacted, for messages that quote a
// receiver's answer or an error of a library that may echo a credential.
func scrub(msg string, secrets []string) string {
	for _, s := range secrets {
		if len(s) >= 4 {
			msg = strings.ReplaceAll(msg, s, Redacted)
		}
	}
	return msg
}

// scrubbedError is an error whose text had secrets replaced. It wraps the original only
// for errors.Is on timeouts and cancellations, never for its text.
type scrubbedError struct {
	msg   string
	cause error
}

func (e *scrubbedError) Error() string { return e.msg }

// Is matches the context and deadline errors of the original error.
func (e *scrubbedError) Is(target error) bool {
	return (target == os.ErrDeadlineExceeded || isContextErr(target)) && errors.Is(e.cause, target)
}

// scrubError returns err with every secret replaced; err itself when none appears.
func scrubError(err error, secrets []string) error {
	if err == nil {
		return nil
	}
	msg := scrub(err.Error(), secrets)
	if msg == err.Error() {
		return err
	}
	return &scrubbedError{msg: msg, cause: err}
}

// secretURL shows a URL whose path is a credential (a Slack webhook): its scheme and
// host only.
func secretURL(raw string) string {
	u, err := redact.ParseHTTPURL(raw)
	if err != nil {
		return "<invalid URL>" // never the raw string
	}
	return u.Scheme + "://" + u.Host + "/" + redact.Mask
}
