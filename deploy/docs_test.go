package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// rbacRow is a row of the RBAC tables of the docs: "| scope | group | resources | verbs |".
var rbacRow = regexp.MustCompile("^\\| (cluster|`" + Namespace + "`) \\| ([^|]+) \\| ([^|]+) \\| ([^|]+) \\|$")

// docAccess reads the RBAC table of a doc: the accesses of its cluster rows and of its
// namespace rows.
func docAccess(t *testing.T, doc string) (cluster, namespace []access) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "docs", doc))
	if err != nil {
		t.Fatal(err)
	}
	items := func(cell string) []string {
		var out []string
		for _, s := range strings.Split(cell, ",") {
			s = strings.Trim(strings.TrimSpace(s), "`")
			if s == "core" {
				s = ""
			}
			out = append(out, s)
		}
		return out
	}
	for _, line := range strings.Split(string(b), "\n") {
		m := rbacRow.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		verbs, _, _ := strings.Cut(m[4], "(") // a note after the verbs
		for _, g := range items(m[2]) {
			for _, res := range items(m[3]) {
				for _, v := range items(verbs) {
					if m[1] == "cluster" {
						cluster = append(cluster, access{g, res, v})
					} else {
						namespace = append(namespace, access{g, res, v})
					}
				}
			}
		}
	}
	return sortAccess(cluster), sortAccess(namespace)
}

func sortAccess(as []access) []access {
	slices.SortFunc(as, func(a, b access) int { return strings.Compare(a.String(), b.String()) })
	return as
}

// The RBAC tables of docs/controller.md and docs/gitops.md are deploy/rbac.yaml's
// grants, exactly.
func TestDocsRBACTablesAreTheRoles(t *testing.T) {
	eq := cmp.Comparer(func(a, b access) bool { return a == b })
	for _, doc := range []string{"controller.md", "gitops.md"} {
		cluster, namespace := docAccess(t, doc)
		if diff := cmp.Diff(expand(controllerClusterAccess), cluster, eq); diff != "" {
			t.Errorf("docs/%s: cluster-wide grants (-rbac.yaml +doc):\n%s", doc, diff)
		}
		if diff := cmp.Diff(expand(controllerNamespaceAccess), namespace, eq); diff != "" {
			t.Errorf("docs/%s: %s grants (-rbac.yaml +doc):\n%s", doc, Namespace, diff)
		}
	}
}
