package load

import (
	"fmt"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
)

func TestMerge(t *testing.T) {
	rule := func(name string) *v1.NodeGuardianRule {
		return &v1.NodeGuardianRule{ObjectMeta: metav1.ObjectMeta{Name: name}}
	}
	tmpl := func(name, subject string) *v1.AlertTemplate {
		return &v1.AlertTemplate{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1.AlertTemplateSpec{Subject: subject}}
	}
	tests := []struct {
		name      string
		rules     []*v1.NodeGuardianRule
		tmpls     []*v1.AlertTemplate
		wantErr   string
		wantRules []string
		wantTmpls []string // name=subject
	}{
		{name: "disjoint", rules: []*v1.NodeGuardianRule{rule("c")}, tmpls: []*v1.AlertTemplate{tmpl("u", "cluster")},
			wantRules: []string{"a", "c"}, wantTmpls: []string{"t=file", "u=cluster"}},
		{name: "a file's template overrides the cluster's", tmpls: []*v1.AlertTemplate{tmpl("t", "cluster")},
			wantRules: []string{"a"}, wantTmpls: []string{"t=file"}},
		{name: "a rule in both places", rules: []*v1.NodeGuardianRule{rule("c"), rule("a")},
			wantErr: `rule "a" is both in the files and in the cluster`, wantRules: []string{"a"}, wantTmpls: []string{"t=file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := &Set{Rules: []*v1.NodeGuardianRule{rule("a")}, Templates: []*v1.AlertTemplate{tmpl("t", "file")}}
			err := Merge(set, tt.rules, tt.tmpls)
			if got := errString(err); got != tt.wantErr {
				t.Fatalf("err = %q, want %q", got, tt.wantErr)
			}
			var rules, tmpls []string
			for _, r := range set.Rules {
				rules = append(rules, r.Name)
			}
			for _, tm := range set.Templates {
				tmpls = append(tmpls, tm.Name+"="+tm.Spec.Subject)
			}
			if fmt.Sprint(rules) != fmt.Sprint(tt.wantRules) || fmt.Sprint(tmpls) != fmt.Sprint(tt.wantTmpls) {
				t.Fatalf("rules %v templates %v, want %v %v", rules, tmpls, tt.wantRules, tt.wantTmpls)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
