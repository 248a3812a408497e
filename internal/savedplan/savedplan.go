// Package savedplan decides whether a saved plan (`ngctl plan -out FILE`) may be
// applied. A plan file is something a person can edit, so it is never obeyed as written:
// its ID must be the hash of its content, and it must be what the rules produce now.
// Offline (a snapshot), the plan computed now must be the same plan, and that plan is
// applied; live, where metric values move between plan and apply, every change in the
// file must be one the rules still make on that node, and the nodes it changes must not
// have changed since; the file's changes are applied, with the alert text the rules
// render now. The CLI, the controller and the differ share these checks.
package savedplan

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// MaxDifferences is how many differences an error lists before it summarises.
const MaxDifferences = 10

// ClockSkew is how far in the future of the applying machine a live plan may have been
// made (another machine's clock).
const ClockSkew = time.Minute

// ModifiedError says the file is not a plan as NodeGuardian wrote it.
type ModifiedError struct {
	File string
	Why  string
}

// Error implements error.
func (e *ModifiedError) Error() string {
	return fmt.Sprintf("plan was modified: %s: %s; run ngctl plan again", e.File, e.Why)
}

// StaleError says the plan is no longer what the rules would do.
type StaleError struct {
	File string
	Why  []string
}

// Error implements error.
func (e *StaleError) Error() string {
	why := e.Why
	if len(why) > MaxDifferences {
		why = append(slices.Clone(why[:MaxDifferences]), fmt.Sprintf("and %d more", len(e.Why)-MaxDifferences))
	}
	return fmt.Sprintf("plan is stale: %s: %s; run ngctl plan again", e.File, strings.Join(why, "; "))
}

// Read reads a saved plan and checks that it is one NodeGuardian wrote: its ID is the
// hash of its content and its expiry is its creation time plus ttl (0: plan.DefaultTTL).
// name is the file's name, for errors.
func Read(r io.Reader, name string, ttl time.Duration) (*plan.Plan, error) {
	p, err := plan.ReadJSON(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := Verify(p, name, ttl); err != nil {
		return nil, err
	}
	return p, nil
}

// Verify checks that p's ID is the hash of its content (plan.ID: everything in the file
// but the id, alert text included) and that its expiry is its creation time plus ttl
// (0: plan.DefaultTTL). The error is a *ModifiedError.
func Verify(p *plan.Plan, name string, ttl time.Duration) error {
	if ttl <= 0 {
		ttl = plan.DefaultTTL
	}
	// The hash of the edited content is not shown: it is the id an editor would need.
	if plan.ID(p) != p.ID {
		return &ModifiedError{File: name, Why: fmt.Sprintf("its id %q is not the hash of its content", p.ID)}
	}
	if want := p.CreatedAt.Add(ttl); !p.ExpiresAt.Equal(want) {
		return &ModifiedError{File: name, Why: fmt.Sprintf("expiresAt %s is not createdAt %s + %s",
			stamp(p.ExpiresAt), stamp(p.CreatedAt), ttl)}
	}
	return nil
}

// CheckOffline checks a saved plan against the plan computed now from the same rules and
// snapshot: it must not have expired (ttl, 0: plan.DefaultTTL; the snapshot's time is
// the plan's time) and they must be the same plan. The caller then applies now, never
// saved.
func CheckOffline(saved, now *plan.Plan, name string, ttl time.Duration) error {
	if err := checkTime(saved, now, name, ttl); err != nil {
		return err
	}
	var why []string
	if saved.Inputs.RulesHash != now.Inputs.RulesHash {
		why = append(why, "the rules changed")
	}
	if saved.Inputs.FleetHash != now.Inputs.FleetHash {
		why = append(why, "the fleet changed")
	}
	if len(why) == 0 {
		why = differences(saved, now, true)
		if len(why) == 0 && saved.ID != now.ID { // the same decisions: name what else differs
			text := alertTextDifferences(saved, now)
			why = append(text, sectionDifferences(saved, now, len(text) > 0)...)
		}
		if len(why) == 0 && saved.ID != now.ID {
			why = append(why, "the plan computed now is not the plan in the file")
		}
	}
	if len(why) > 0 {
		return &StaleError{File: name, Why: why}
	}
	return nil
}

// CheckLive checks a saved live plan against the plan computed now from the same rules
// and the live cluster: it must not have expired (ttl, 0: plan.DefaultTTL), every
// change it makes must be one the rules make now on that node (compared as decisions:
// node, kind, operation, key, value, effect, pods — not reasons or metric values), and
// every node it changes must still be at the resourceVersion it was planned at
// (versions: every node's resourceVersion now). Alert text is not compared: it shows
// metric values and the time; Verify has checked that the file's is as written, and
// Load sends the text rendered now. The caller then applies saved (as Load returns it).
func CheckLive(saved, now *plan.Plan, versions map[string]string, name string, ttl time.Duration) error {
	if err := checkTime(saved, now, name, ttl); err != nil {
		return err
	}
	if saved.Inputs.RulesHash != now.Inputs.RulesHash {
		return &StaleError{File: name, Why: []string{"the rules changed"}}
	}
	var why []string
	for _, np := range saved.Nodes {
		if !slices.ContainsFunc(np.Changes, func(c plan.Change) bool { return !c.DryRun }) {
			continue
		}
		planned := plannedVersion(saved, np)
		switch current, ok := versions[np.Node]; {
		case !ok:
			why = append(why, fmt.Sprintf("node %s is gone", np.Node))
			continue
		case planned == "":
			why = append(why, fmt.Sprintf("node %s: the plan does not record its resourceVersion (it was not made against a live cluster)", np.Node))
			continue
		case current != planned:
			why = append(why, fmt.Sprintf("node %s changed (resourceVersion %s, now %s)", np.Node, planned, current))
			continue
		}
	}
	why = append(why, differences(saved, now, false)...)
	if len(why) > 0 {
		return &StaleError{File: name, Why: why}
	}
	return nil
}

// checkTime refuses a plan made after now (beyond ClockSkew) or expired: its expiry is
// its ID-covered creation time plus ttl, whatever its expiresAt says.
func checkTime(saved, now *plan.Plan, name string, ttl time.Duration) error {
	if ttl <= 0 {
		ttl = plan.DefaultTTL
	}
	if saved.CreatedAt.After(now.CreatedAt.Add(ClockSkew)) {
		return &ModifiedError{File: name, Why: fmt.Sprintf("it was made at %s, after now (%s)", stamp(saved.CreatedAt), stamp(now.CreatedAt))}
	}
	if now.CreatedAt.After(saved.CreatedAt.Add(ttl)) {
		return &StaleError{File: name, Why: []string{fmt.Sprintf("it expired at %s (now %s)", stamp(saved.CreatedAt.Add(ttl)), stamp(now.CreatedAt))}}
	}
	return nil
}

func plannedVersion(p *plan.Plan, np plan.NodePlan) string {
	if np.ResourceVersion != "" {
		return np.ResourceVersion
	}
	return p.Inputs.NodeVersions[np.Node]
}

// IsModified reports whether err says a plan file was modified.
func IsModified(err error) bool {
	var m *ModifiedError
	return errors.As(err, &m)
}

// IsStale reports whether err says a plan is stale.
func IsStale(err error) bool {
	var s *StaleError
	return errors.As(err, &s)
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// Load reads the saved plan file and returns the plan to apply, given the plan computed
// now: offline (versions nil), the plan computed now, when the file is that plan
// (CheckOffline); live, the file's plan, when every change in it is one the rules make
// now and the nodes it changes have the versions it read (CheckLive, versions being the
// nodes' resourceVersions now), with the subject and body of its alerts as the rules
// render them now (naming the file's plan ID): never text from the file.
func Load(file string, now *plan.Plan, versions map[string]string, ttl time.Duration) (*plan.Plan, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("read saved plan: %w", err)
	}
	defer f.Close()
	saved, err := Read(f, file, ttl)
	if err != nil {
		return nil, err
	}
	if versions == nil {
		return now, CheckOffline(saved, now, file, ttl)
	}
	if err := CheckLive(saved, now, versions, file, ttl); err != nil {
		return nil, err
	}
	return withAlertTextOf(saved, now, file)
}
