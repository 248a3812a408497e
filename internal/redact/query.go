package redact

import (
	"net/url"
	"strings"
)

// URLQuery is URL for a URL a person configured to reach a receiver (an alert webhook,
// Alertmanager), where the query or fragment may carry a credential
// ("…/hook?token=s3cret"): it is shown as URL shows it, with every query value and the
// fragment masked as well ("…/hook?token=xxxxx"). Query names are kept, to tell URLs
// apart; a query item without "=" is masked whole.
func URLQuery(raw string) string {
	shown := URL(raw)
	u, err := url.Parse(shown)
	if err != nil || u.Opaque != "" || u.Host == "" {
		return shown // URL masked it already
	}
	if u.RawQuery == "" && !u.ForceQuery && u.Fragment == "" {
		return shown
	}
	if u.RawQuery != "" {
		items := strings.Split(u.RawQuery, "&")
		for i, item := range items {
			name, _, ok := strings.Cut(item, "=")
			if !ok {
				items[i] = Mask
				continue
			}
			items[i] = name + "=" + Mask
		}
		u.RawQuery = strings.Join(items, "&")
	}
	if u.Fragment != "" || u.RawFragment != "" {
		u.Fragment, u.RawFragment = Mask, ""
	}
	return u.String()
}

// URLSecrets are the parts of a URL that may be credentials, for scrubbing messages that
// quote a receiver's answer (which may echo part of its own URL): the user info, every
// query value, the fragment, and, when pathIsSecret (a Slack incoming webhook, whose path
// is the credential), every path segment after the first ("services" of
// /services/T…/B…/token), each as written and unescaped. Parts shorter than 4 bytes are
// left out (they would garble messages and reveal nothing).
func URLSecrets(raw string, pathIsSecret bool) []string {
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	var out []string
	add := func(s string) {
		if len(s) >= 4 {
			out = append(out, s)
		}
	}
	if u.User != nil {
		add(u.User.Username())
		if p, ok := u.User.Password(); ok {
			add(p)
		}
	}
	for _, item := range strings.Split(u.RawQuery, "&") {
		_, v, _ := strings.Cut(item, "=")
		add(v)
		if uv, err := url.QueryUnescape(v); err == nil && uv != v {
			add(uv)
		}
	}
	add(u.Fragment)
	if pathIsSecret {
		segs := strings.Split(strings.Trim(u.EscapedPath(), "/"), "/")
		for i, seg := range segs {
			if i == 0 && len(segs) > 1 {
				continue
			}
			add(seg)
			if us, err := url.PathUnescape(seg); err == nil && us != seg {
				add(us)
			}
		}
	}
	return out
}
