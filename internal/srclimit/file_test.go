package srclimit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadFile: a file within the limit is read whole; a larger one, a sparse 1 GiB file
// and /dev/zero are refused naming the file and the limit, without being read whole.
func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	if err := os.WriteFile(small, []byte("0123456789"), 0o600); err != nil {
		t.Fatal(err)
	}
	sparse := filepath.Join(dir, "sparse")
	if err := os.WriteFile(sparse, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(sparse, 1<<30); err != nil {
		t.Fatal(err)
	}
	if data, err := ReadFile(small, 10); err != nil || string(data) != "0123456789" {
		t.Errorf("ReadFile(small, 10) = %q, %v", data, err)
	}
	for _, tc := range []struct {
		file  string
		limit int64
		want  string
	}{
		{small, 9, small + ": larger than 9 bytes"},
		{sparse, MaxConfigSize, sparse + ": larger than 1 MiB"},
		{"/dev/zero", MaxConfigSize, "/dev/zero: larger than 1 MiB"},
		{filepath.Join(dir, "missing"), 1, "no such file"},
	} {
		if _, err := ReadFile(tc.file, tc.limit); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ReadFile(%s, %d) = %v, want %q", tc.file, tc.limit, err, tc.want)
		}
	}
}

// TestCheckFile: a kubeconfig that is too large or not a regular file is refused
// before anything reads it; a small or missing one passes.
func TestCheckFile(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	if err := os.WriteFile(small, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{small, filepath.Join(dir, "missing")} {
		if err := CheckFile(file, 1); err != nil {
			t.Errorf("CheckFile(%s) = %v", file, err)
		}
	}
	for file, want := range map[string]string{small: "larger than 0 bytes", "/dev/zero": "not a regular file", dir: "not a regular file"} {
		if err := CheckFile(file, 0); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckFile(%s) = %v, want %q", file, err, want)
		}
	}
}
