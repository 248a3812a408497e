package notify

import (
	"fmt"
	"maps"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/nodeguardian/nodeguardian/internal/redact"
	"github.com/nodeguardian/nodeguardian/internal/yamlpos"
)

// decoder turns the YAML nodes of an alert configuration into a Config; every error is
// a *yamlpos.Error naming file, line and field.
type decoder struct{ file string }

// fieldFunc decodes the value of one field; field is its dotted path.
type fieldFunc func(v *yaml.Node, field string) error

func (d decoder) errf(n *yaml.Node, field, format string, args ...any) error {
	return &yamlpos.Error{File: d.file, Line: n.Line, Field: field, Err: fmt.Errorf(format, args...)}
}

// mapping decodes the mapping n at path: known keys go to their fieldFunc; duplicate
// and unknown keys are errors, and so are inline secrets (the keys of secrets, with
// the hint to give instead).
func (d decoder) mapping(n *yaml.Node, path string, fields map[string]fieldFunc, secrets map[string]string) error {
	if n.Kind != yaml.MappingNode {
		return d.errf(n, path, "must be a mapping, found %s", yamlpos.Describe(n))
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		field := strings.TrimPrefix(path+"."+k.Value, ".")
		if first, dup := seen[k.Value]; dup {
			return d.errf(k, field, "duplicate key, first at line %d", first)
		}
		seen[k.Value] = k.Line
		if hint, ok := secrets[k.Value]; ok {
			return d.errf(k, field, "secrets are not allowed in the config file: %s", hint)
		}
		f, ok := fields[k.Value]
		if !ok {
			return d.errf(k, field, "unknown field (want %s)", strings.Join(slices.Sorted(maps.Keys(fields)), ", "))
		}
		if err := f(v, field); err != nil {
			return err
		}
	}
	return nil
}

func (d decoder) str(n *yaml.Node, field string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		return "", d.errf(n, field, "must be a string, found %s", yamlpos.Describe(n))
	}
	if strings.TrimSpace(n.Value) == "" {
		return "", d.errf(n, field, "must not be empty")
	}
	return n.Value, nil
}

// setStr returns a fieldFunc storing a non-empty string in dst.
func (d decoder) setStr(dst *string) fieldFunc {
	return func(v *yaml.Node, field string) (err error) {
		*dst, err = d.str(v, field)
		return err
	}
}

// setFile returns a fieldFunc storing a Secret read from the file the field names.
func (d decoder) setFile(dst *Secret) fieldFunc {
	return func(v *yaml.Node, field string) error {
		s, err := d.str(v, field)
		*dst = FileSecret(s, fmt.Sprintf("%s:%d: %s", d.file, v.Line, field))
		return err
	}
}

// setEnum returns a fieldFunc storing one of allowed in dst.
func (d decoder) setEnum(dst *string, allowed ...string) fieldFunc {
	return func(v *yaml.Node, field string) error {
		s, err := d.str(v, field)
		if err == nil && !slices.Contains(allowed, s) {
			err = d.errf(v, field, "%q is not one of %s", s, strings.Join(allowed, ", "))
		}
		*dst = s
		return err
	}
}

// setURL returns a fieldFunc storing an http(s) URL without a password in dst.
func (d decoder) setURL(dst *URL) fieldFunc {
	return func(v *yaml.Node, field string) error {
		s, err := d.str(v, field)
		if err != nil {
			return err
		}
		if err := checkURL(s, false); err != nil {
			return d.errf(v, field, "%w", err)
		}
		*dst = URL(s)
		return nil
	}
}

// checkURL checks an http(s) URL; its password, if any, must come from the environment
// (fromEnv), never the config file. Errors show the URL redacted.
func checkURL(s string, fromEnv bool) error {
	u, err := redact.ParseHTTPURL(s)
	if err != nil {
		return err
	}
	if _, ok := u.User.Password(); ok && !fromEnv {
		return fmt.Errorf("URL %s holds a password: secrets are not allowed in the config file (use headerFiles for credentials)", redact.URLQuery(s))
	}
	return nil
}

func (d decoder) setPort(dst *int) fieldFunc {
	return func(v *yaml.Node, field string) error {
		p, err := strconv.Atoi(v.Value)
		if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!int" || err != nil || p < 1 || p > 65535 {
			return d.errf(v, field, "must be a port number (1-65535), found %s", yamlpos.Describe(v))
		}
		*dst = p
		return nil
	}
}

func (d decoder) setBool(dst *bool) fieldFunc {
	return func(v *yaml.Node, field string) error {
		if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!bool" {
			return d.errf(v, field, "must be true or false, found %s", yamlpos.Describe(v))
		}
		*dst = v.Value == "true"
		return nil
	}
}

func (d decoder) setDuration(dst *time.Duration) fieldFunc {
	return func(v *yaml.Node, field string) error {
		s, err := d.str(v, field)
		if err != nil {
			return err
		}
		dur, err := time.ParseDuration(s)
		if err != nil || dur <= 0 {
			return d.errf(v, field, "%q is not a positive duration such as 5m or 1h", s)
		}
		*dst = dur
		return nil
	}
}

// setAddresses returns a fieldFunc storing a list of email addresses (or one address).
func (d decoder) setAddresses(dst *[]string) fieldFunc {
	return func(v *yaml.Node, field string) error {
		items := []*yaml.Node{v}
		if v.Kind == yaml.SequenceNode {
			items = v.Content
		}
		if len(items) == 0 {
			return d.errf(v, field, "must list at least one address")
		}
		for i, it := range items {
			f := field
			if v.Kind == yaml.SequenceNode {
				f = fmt.Sprintf("%s[%d]", field, i)
			}
			s, err := d.str(it, f)
			if err != nil {
				return err
			}
			if _, err := mail.ParseAddress(s); err != nil {
				return d.errf(it, f, "%q is not an email address", s)
			}
			*dst = append(*dst, s)
		}
		return nil
	}
}

// setHeaders returns a fieldFunc storing headers; a credential-looking header is an
// error (it belongs in headerFiles).
func (d decoder) setHeaders(dst *map[string]string) fieldFunc {
	return func(v *yaml.Node, field string) error {
		*dst = map[string]string{}
		return d.mapping(v, field, d.anyKey(v, func(k, val *yaml.Node, f string) error {
			if isSecretHeader(k.Value) {
				return d.errf(k, f, "secrets are not allowed in the config file: put the value of %s in a file and name it under headerFiles", k.Value)
			}
			s, err := d.str(val, f)
			if err == nil {
				if herr := checkHeader(k.Value, s); herr != nil {
					err = d.errf(val, f, "%w", herr)
				}
			}
			(*dst)[k.Value] = s
			return err
		}), nil)
	}
}

// setHeaderFiles returns a fieldFunc storing headers whose values are read from files.
func (d decoder) setHeaderFiles(dst *map[string]Secret) fieldFunc {
	return func(v *yaml.Node, field string) error {
		*dst = map[string]Secret{}
		return d.mapping(v, field, d.anyKey(v, func(k, val *yaml.Node, f string) error {
			if herr := checkHeader(k.Value, ""); herr != nil {
				return d.errf(k, f, "%w", herr)
			}
			var s Secret
			err := d.setFile(&s)(val, f)
			(*dst)[k.Value] = s
			return err
		}), nil)
	}
}

// anyKey makes the fields of a free-form mapping: every key of n goes to f.
func (d decoder) anyKey(n *yaml.Node, f func(k, v *yaml.Node, field string) error) map[string]fieldFunc {
	fields := map[string]fieldFunc{}
	if n.Kind != yaml.MappingNode {
		return fields
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		fields[k.Value] = func(v *yaml.Node, field string) error { return f(k, v, field) }
	}
	return fields
}

// isSecretHeader reports whether a header usually carries a credential.
func isSecretHeader(name string) bool {
	n := strings.ToLower(name)
	return slices.Contains([]string{"authorization", "proxy-authorization", "cookie"}, n) ||
		strings.Contains(n, "token") || strings.Contains(n, "secret") ||
		strings.Contains(n, "api-key") || strings.Contains(n, "apikey") || strings.Contains(n, "password")
}
