package srclimit

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// MaxConfigSize bounds a configuration or secret file (alert and metrics configuration,
// secret files, CA bundles): 1 MiB, far more than any of them needs.
const MaxConfigSize = 1 << 20

// MaxKubeconfigSize bounds a kubeconfig file: 16 MiB, room for hundreds of clusters with
// embedded certificates.
const MaxKubeconfigSize = 16 << 20

// ReadFile reads file, refusing one larger than limit bytes. It never reads more than
// limit+1 bytes: a regular file's size is checked before it is read (a sparse 1 GiB
// file is refused at once), anything else (/dev/zero, a pipe) is read up to the limit.
// Errors are *fs.PathError naming the file and, for a file too large, the limit.
func ReadFile(file string, limit int64) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > limit {
		return nil, tooLarge(file, limit)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: file, Err: err}
	}
	if int64(len(data)) > limit {
		return nil, tooLarge(file, limit)
	}
	return data, nil
}

// CheckFile refuses a file that is larger than limit bytes or is not a regular file (a
// device or a pipe, which a reader without a limit of its own would read forever),
// without reading it. A file that does not exist passes: its reader reports it.
func CheckFile(file string, limit int64) error {
	fi, err := os.Stat(file)
	switch {
	case err != nil:
		return nil
	case !fi.Mode().IsRegular():
		return &fs.PathError{Op: "read", Path: file, Err: errors.New("not a regular file (a device or a pipe)")}
	case fi.Size() > limit:
		return tooLarge(file, limit)
	}
	return nil
}

func tooLarge(file string, limit int64) error {
	return &fs.PathError{Op: "read", Path: file, Err: fmt.Errorf("larger than %s, the limit for this file", FormatLimit(limit))}
}

// FormatLimit renders a byte limit for messages: "1 MiB", "512 KiB", "100 bytes".
func FormatLimit(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
