package fleet

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteOptions are the options of WriteFile.
type WriteOptions struct {
	// Backup, when not empty, is the file that keeps the previous content of the file
	// being replaced, as terraform keeps terraform.tfstate.backup. Nothing is written
	// there when the file did not exist.
	Backup string
	// CommentsFrom, when not empty, is the file whose leading comment block is written at
	// the top of the new file, instead of the file being replaced's: the source snapshot
	// of an apply that writes its result elsewhere.
	CommentsFrom string
}

// Write writes the snapshot to file: WriteFile without a backup.
func Write(file string, s *Snapshot) error {
	return WriteFile(file, s, WriteOptions{})
}

// WriteFile writes the snapshot to file as YAML (see Marshal), atomically: the data goes
// to a temporary file in the same directory that then replaces file, with file's mode.
// The leading comment lines of the file it replaces (the "#" block before the first
// YAML line), or of o.CommentsFrom, are kept, so a hand-written description of a fleet
// survives an apply. A file that is a symbolic link stays one: its target is replaced.
// The snapshot is written as a stream (MarshalTo): memory does not grow with the fleet.
func WriteFile(file string, s *Snapshot, o WriteOptions) error {
	target, err := resolveLink(file)
	if err != nil {
		return fmt.Errorf("fleet: write snapshot %s: %w", file, err)
	}
	mode := fs.FileMode(0o644)
	var header []byte
	switch fi, err := os.Stat(target); {
	case err == nil:
		mode = fi.Mode().Perm()
		if o.Backup != "" {
			if err := copyAtomic(o.Backup, target, mode); err != nil {
				return fmt.Errorf("fleet: keep the previous snapshot: %w", err)
			}
		}
		if o.CommentsFrom == "" {
			o.CommentsFrom = target
		}
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("fleet: write snapshot %s: %w", file, err)
	}
	if o.CommentsFrom != "" {
		if header, err = leadingCommentsOf(o.CommentsFrom); err != nil {
			return fmt.Errorf("fleet: write snapshot %s: %w", file, err)
		}
	}
	err = writeAtomic(target, mode, func(w io.Writer) error {
		if _, err := w.Write(header); err != nil {
			return err
		}
		return MarshalTo(w, s)
	})
	if err != nil {
		return fmt.Errorf("fleet: write snapshot %s: %w", file, err)
	}
	return nil
}

// resolveLink is the file a symbolic link points to (following every link), so that the
// rename replaces the target, not the link; file itself when it is no link or does not
// exist.
func resolveLink(file string) (string, error) {
	fi, err := os.Lstat(file)
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		return file, nil
	}
	target, err := filepath.EvalSymlinks(file)
	if err != nil {
		return "", fmt.Errorf("resolve the symbolic link: %w", err)
	}
	return target, nil
}

// leadingCommentsOf reads the comment block file starts with (LeadingComments), reading
// no further than that block.
func leadingCommentsOf(file string) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var head []byte
	r := bufio.NewReader(f)
	for {
		line, err := r.ReadBytes('\n')
		head = append(head, line...)
		trimmed := bytes.TrimSpace(line)
		if err != nil || len(trimmed) > 0 && trimmed[0] != '#' {
			if err != nil && !errors.Is(err, io.EOF) {
				return nil, err
			}
			return LeadingComments(head), nil
		}
	}
}

// copyAtomic copies the file src to dst (writeAtomic).
func copyAtomic(dst, src string, mode fs.FileMode) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	return writeAtomic(dst, mode, func(w io.Writer) error {
		_, err := io.Copy(w, f)
		return err
	})
}

// LeadingComments returns the comment block a YAML file starts with: its lines up to the
// first one that is neither blank nor a "#" comment, as they are; nil when the block holds
// no comment.
func LeadingComments(src []byte) []byte {
	end, comment := 0, false
	for rest := src; len(rest) > 0; {
		line, tail, found := bytes.Cut(rest, []byte("\n"))
		trimmed := bytes.TrimSpace(line)
		if len(trimmed) > 0 && trimmed[0] != '#' {
			break
		}
		if !found { // a last line without newline: a file of comments only
			break
		}
		comment = comment || len(trimmed) > 0
		end += len(line) + 1
		rest = tail
	}
	if !comment {
		return nil
	}
	return bytes.Clone(src[:end])
}

// writeAtomic writes what write writes, buffered, to a temporary file in file's
// directory and renames it to file, so that a reader sees either the old or the new
// content, never part of it.
func writeAtomic(file string, mode fs.FileMode, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".*.tmp")
	if err != nil {
		return err
	}
	name := tmp.Name()
	fail := func(err error) error {
		_ = tmp.Close()
		_ = os.Remove(name)
		return err
	}
	w := bufio.NewWriterSize(tmp, 256<<10)
	if err := write(w); err != nil {
		return fail(err)
	}
	if err := w.Flush(); err != nil {
		return fail(err)
	}
	if err := tmp.Chmod(mode); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		return fail(err)
	}
	if err := os.Rename(name, file); err != nil {
		_ = os.Remove(name)
		return err
	}
	return nil
}
