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

func TestWriteFileCommentsFromAndSymlink(t *testing.T) {
	s, err := Parse("snap.yaml", []byte(validYAML))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "src.yaml")
	if err := os.WriteFile(src, []byte("# source header\n"+validYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	// CommentsFrom: a new file, and an existing one with a header of its own.
	out := filepath.Join(dir, "out.yaml")
	for _, before := range []string{"", "# stale header of out\n" + validYAML} {
		if before != "" {
			if err := os.WriteFile(out, []byte(before), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := WriteFile(out, s, WriteOptions{CommentsFrom: src}); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(out); !strings.HasPrefix(string(b), "# source header\napiVersion: ") {
			t.Errorf("out (before: %.20q) lacks the source's header:\n%s", before, b)
		}
	}
	// A symbolic link stays one; its target is replaced, keeping the target's header.
	target := filepath.Join(dir, "target.yaml")
	if err := os.WriteFile(target, []byte("# target header\n"+validYAML+"# old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.yaml")
	if err := os.Symlink("target.yaml", link); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(link, s, WriteOptions{Backup: link + ".backup"}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v", err)
	}
	b, _ := os.ReadFile(target)
	if !strings.HasPrefix(string(b), "# target header\napiVersion: ") || strings.Contains(string(b), "# old") {
		t.Errorf("target not rewritten:\n%s", b)
	}
	if fi, err := os.Stat(target); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("target mode not kept: %v", err)
	}
	if back, _ := os.ReadFile(link + ".backup"); !strings.Contains(string(back), "# old") {
		t.Errorf("backup is not the previous content:\n%s", back)
	}
	// A dangling link is an error, not a regular file in its place.
	dangling := filepath.Join(dir, "dangling.yaml")
	if err := os.Symlink("missing/x.yaml", dangling); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(dangling, s, WriteOptions{}); err == nil || !strings.Contains(err.Error(), "dangling.yaml") {
		t.Errorf("dangling link: %v", err)
	}
}
