package notify

import (
	"fmt"
	"maps"
	"slices"
	"time"
)

// ResolveTimeoutWarnings are warnings for the repeat intervals Alertmanager's
// resolveTimeout does not outlast: the run's (run; 0: never repeated) and each
// template's that sets one (templates, by name). A firing alert posted to Alertmanager
// ends at now + resolveTimeout, and is kept active only by being re-posted every repeat
// interval: a timeout shorter than the interval lets Alertmanager resolve a rule that is
// still firing. Nothing without an alertmanager channel.
func (c Config) ResolveTimeoutWarnings(run time.Duration, templates map[string]time.Duration) []string {
	a := c.Alertmanager
	if a == nil {
		return nil
	}
	timeout := a.ResolveTimeout
	if timeout <= 0 {
		timeout = DefaultResolveTimeout
	}
	check := func(what string, repeat time.Duration) string {
		switch {
		case repeat <= 0:
			return fmt.Sprintf("alertmanager: %s never repeats a firing alert, so Alertmanager resolves it after resolveTimeout (%s) while the rule may still fire", what, timeout)
		case timeout <= repeat:
			return fmt.Sprintf("alertmanager: resolveTimeout %s is not above the repeat interval %s of %s: Alertmanager resolves a firing alert between two posts; set resolveTimeout above it", timeout, repeat, what)
		}
		return ""
	}
	var out []string
	if w := check("the run (--alert-repeat-interval, repeatInterval)", run); w != "" {
		out = append(out, w)
	}
	for _, name := range slices.Sorted(maps.Keys(templates)) {
		if w := check("template "+name, templates[name]); w != "" {
			out = append(out, w)
		}
	}
	return out
}
