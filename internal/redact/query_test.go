package redact

import (
	"slices"
	"strings"
	"testing"
)

func TestURLQuery(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://127.0.0.1:1/x?token=QSECRET", "http://127.0.0.1:1/x?token=xxxxx"},
		{"https://h/x?a=1&sig=QSECRET&b", "https://h/x?a=xxxxx&sig=xxxxx&xxxxx"},
		{"https://h/x?QSECRET", "https://h/x?xxxxx"},
		{"https://h/x#QSECRET", "https://h/x#xxxxx"},
		{"https://user:QSECRET@h/x?k=QSECRET2", "https://user:xxxxx@h/x?k=xxxxx"},
		{"https://h/x", "https://h/x"},
		{"not a url QSECRET", "xxxxx"},
	}
	for _, tt := range tests {
		got := URLQuery(tt.in)
		if got != tt.want || strings.Contains(got, "QSECRET") {
			t.Errorf("URLQuery(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestURLSecrets(t *testing.T) {
	got := URLSecrets("https://hooks.slack.com/services/T0123ABCD/B0456EFGH/XXsecretTOKEN?x=QSECRET%2Bq", true)
	want := []string{"QSECRET%2Bq", "QSECRET+q", "T0123ABCD", "B0456EFGH", "XXsecretTOKEN"}
	if !slices.Equal(got, want) {
		t.Errorf("slack: %q, want %q", got, want)
	}
	if got := URLSecrets("http://h/hooks/alerts?token=QSECRET", false); !slices.Equal(got, []string{"QSECRET"}) {
		t.Errorf("webhook: %q, want only the query value", got)
	}
}
