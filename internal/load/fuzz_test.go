package load

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seedCorpus adds every testdata file with the given extension to the fuzz corpus.
func seedCorpus(f *testing.F, ext string) {
	f.Helper()
	err := filepath.WalkDir("testdata", func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() || filepath.Ext(p) != ext {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		f.Add(data)
		return nil
	})
	if err != nil {
		f.Fatal(err)
	}
}

// checkInvariants holds for any input: no panic (the fuzzer catches those), every
// diagnostic names the file, and every returned object has a name and an origin.
func checkInvariants(t *testing.T, file string, set *Set, ds Diagnostics) {
	_ = ds.Error()
	for _, d := range ds {
		if d.File != file || d.Message == "" || d.Line < 0 || d.Column < 0 {
			t.Fatalf("bad diagnostic: %#v", d)
		}
	}
	for _, r := range set.Rules {
		if _, ok := set.Origins[OriginKey(kindRule, r.Name)]; !ok || r.Name == "" {
			t.Fatalf("rule %q without origin", r.Name)
		}
	}
	for _, tm := range set.Templates {
		if _, ok := set.Origins[OriginKey(kindTemplate, tm.Name)]; !ok || tm.Name == "" {
			t.Fatalf("template %q without origin", tm.Name)
		}
	}
	if !ds.HasErrors() && strings.Contains(ds.Error(), ": error: ") {
		t.Fatalf("HasErrors disagrees with Error():\n%s", ds.Error())
	}
}

// fuzzValidator compiles the schema once per fuzz target: compiling it is most of the
// cost of YAML and HCL, which would otherwise starve the fuzzer.
func fuzzValidator(f *testing.F) *validator {
	v, err := newValidator()
	if err != nil {
		f.Fatal(err)
	}
	return v
}

func FuzzLoadYAML(f *testing.F) {
	seedCorpus(f, ".yaml")
	f.Add([]byte("a: &a [*a, *a]\n"))
	f.Add([]byte("apiVersion: nodeguardian.k8s.io/v1\nkind: NodeGuardianRule\n---\n- x\n--- !!binary aGk=\n"))
	v := fuzzValidator(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		set, ds := loadOne(v, "fuzz.yaml", data, false)
		checkInvariants(t, "fuzz.yaml", set, ds)
	})
}

func FuzzLoadHCL(f *testing.F) {
	seedCorpus(f, ".hcl")
	f.Add([]byte("rule \"x\" { variables = { a = [1, { b = null }] } }\n"))
	v := fuzzValidator(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		set, ds := loadOne(v, "fuzz.hcl", data, true)
		checkInvariants(t, "fuzz.hcl", set, ds)
	})
}
