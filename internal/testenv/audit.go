package testenv

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// auditPolicy logs every request once, when its response is complete: evictions at
// level Request (with their body, which says whether the eviction is a dry run), every
// other request at level Metadata (who, verb, resource, response code; no bodies).
const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived", "ResponseStarted"]
rules:
  - level: Request
    resources:
      - group: ""
        resources: ["pods/eviction"]
  - level: Metadata
`

// auditArgs are the kube-apiserver audit flags' values.
type auditArgs struct {
	policy string // --audit-policy-file
	log    string // --audit-log-path
}

// AuditEvent is the part of an audit.k8s.io/v1 Event that tests read.
type AuditEvent struct {
	// Verb is the Kubernetes verb: get, list, watch, create, update, patch, delete…
	Verb string `json:"verb"`
	// RequestURI is the request's path and query.
	RequestURI string `json:"requestURI"`
	// UserAgent is the client's User-Agent header.
	UserAgent string `json:"userAgent"`
	// ObjectRef names the object or collection the request addressed (nil for
	// non-resource requests such as /healthz).
	ObjectRef *struct {
		Resource    string `json:"resource"`
		Subresource string `json:"subresource"`
		Name        string `json:"name"`
		APIGroup    string `json:"apiGroup"`
	} `json:"objectRef"`
	// ResponseStatus is the HTTP status the server answered with.
	ResponseStatus *struct {
		Code int `json:"code"`
	} `json:"responseStatus"`
	// RequestObject is the request's body, for the requests logged at level Request:
	// evictions (policy/v1 Eviction). Nil for the others.
	RequestObject json.RawMessage `json:"requestObject,omitempty"`
	// Stage is ResponseComplete (or Panic) with the policy Options.AuditLogPath installs.
	Stage string `json:"stage"`
	// RequestReceivedTimestamp is when the server received the request.
	RequestReceivedTimestamp time.Time `json:"requestReceivedTimestamp"`
}

// DryRunEviction reports whether the event is an eviction whose body asks for a
// server-side dry run (deleteOptions.dryRun), which evicts nothing.
func (ev AuditEvent) DryRunEviction() bool {
	if len(ev.RequestObject) == 0 {
		return false
	}
	var body struct {
		DeleteOptions *struct {
			DryRun []string `json:"dryRun"`
		} `json:"deleteOptions"`
	}
	return json.Unmarshal(ev.RequestObject, &body) == nil && body.DeleteOptions != nil && len(body.DeleteOptions.DryRun) > 0
}

// ReadAudit decodes the audit log at path (Options.AuditLogPath), one event per line,
// and returns the events that keep says to keep (all when keep is nil).
func ReadAudit(path string, keep func(AuditEvent) bool) ([]AuditEvent, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	defer f.Close()
	var out []AuditEvent
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for line := 1; sc.Scan(); line++ {
		var ev AuditEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			return nil, fmt.Errorf("audit log %s line %d: %w", path, line, err)
		}
		if keep == nil || keep(ev) {
			out = append(out, ev)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read audit log %s: %w", path, err)
	}
	return out, nil
}
