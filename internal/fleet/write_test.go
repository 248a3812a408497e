package fleet

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLeadingComments(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"none", "apiVersion: v1\n", ""},
		{"block", "# fleet\n#   worker-1 hot\napiVersion: v1\n# not header\n", "# fleet\n#   worker-1 hot\n"},
		{"blank lines kept", "\n# a\n\n# b\n\nkind: x\n", "\n# a\n\n# b\n\n"},
		{"indented comment", "  # a\nkind: x\n", "  # a\n"},
		{"blank only", "\n\nkind: x\n", ""},
		{"document marker ends it", "# a\n---\n# b\nkind: x\n", "# a\n"},
		{"crlf", "# a\r\nkind: x\r\n", "# a\r\n"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(LeadingComments([]byte(tt.src))); got != tt.want {
				t.Errorf("LeadingComments(%q) = %q, want %q", tt.src, got, tt.want)
			}
		})
	}
}

func TestWriteFileKeepsCommentsAndBackup(t *testing.T) {
	s, err := Parse("snap.yaml", []byte(validYAML))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "fleet.yaml")
	old := "# Demo fleet: two nodes.\n#   n1 is hot\n\n" + validYAML
	if err := os.WriteFile(file, []byte(old), 0o640); err != nil {
		t.Fatal(err)
	}
	backup := file + ".backup"
	if err := WriteFile(file, s, WriteOptions{Backup: backup}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(got), "# Demo fleet: two nodes.\n#   n1 is hot\n\napiVersion: ") {
		t.Errorf("header not kept:\n%s", got)
	}
	if back, err := Parse(file, got); err != nil || back.Hash() != s.Hash() {
		t.Errorf("written snapshot differs: %v", err)
	}
	if b, err := os.ReadFile(backup); err != nil || string(b) != old {
		t.Errorf("backup = %q, %v; want the previous content", b, err)
	}
	for _, f := range []string{file, backup} {
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o640 {
			t.Errorf("%s: mode %v, %v; want the old file's 0640", f, fi.Mode().Perm(), err)
		}
	}
	// A new file: no header, no backup.
	fresh := filepath.Join(dir, "new.yaml")
	if err := WriteFile(fresh, s, WriteOptions{Backup: fresh + ".backup"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(fresh + ".backup"); !os.IsNotExist(err) {
		t.Errorf("a backup of a file that did not exist: %v", err)
	}
	if b, _ := os.ReadFile(fresh); !strings.HasPrefix(string(b), "apiVersion: ") {
		t.Errorf("new file:\n%s", b)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 3 {
		t.Errorf("files left: %v (want fleet.yaml, its backup, new.yaml)", entries)
	}
}
