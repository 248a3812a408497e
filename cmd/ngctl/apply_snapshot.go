package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/nodeguardian/nodeguardian/internal/apply"
	"github.com/nodeguardian/nodeguardian/internal/fleet"
)

// checkSnapshotOut refuses a --write-snapshot that makes no sense before anything is
// planned or written: without --snapshot (a live apply changes the cluster, not a file),
// or naming one of the rule files or the saved plan, which it would overwrite.
func checkSnapshotOut(c *cli.Context) error {
	out := c.String("write-snapshot")
	if out == "" {
		return nil
	}
	if c.String("snapshot") == "" {
		return exitf(1, "--write-snapshot needs --snapshot FILE: a live apply changes the cluster, not a file")
	}
	if f, ok := sameOrInside(out, c.StringSlice("filename")); ok {
		return exitf(1, "--write-snapshot %s would overwrite the rule file %s; write the snapshot elsewhere", out, f)
	}
	if c.NArg() > 0 {
		if f, ok := sameOrInside(out, c.Args().Slice()[:1]); ok {
			return exitf(1, "--write-snapshot %s would overwrite the saved plan %s; write the snapshot elsewhere", out, f)
		}
	}
	return nil
}

// sameOrInside returns the path among paths that file is, or that file lies in (a
// directory of rules, which would read it as a rule file), comparing cleaned absolute
// paths and, for files that exist, os.SameFile (symbolic and hard links). "-" (stdin) is
// no file.
func sameOrInside(file string, paths []string) (string, bool) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return "", false
	}
	info, _ := os.Stat(file)
	for _, p := range paths {
		if p == "-" {
			continue
		}
		pAbs, err := filepath.Abs(p)
		if err != nil {
			continue
		}
		if pAbs == abs {
			return p, true
		}
		pInfo, err := os.Stat(p)
		if err != nil {
			continue
		}
		if !pInfo.IsDir() {
			if info != nil && os.SameFile(info, pInfo) {
				return p, true
			}
			continue
		}
		if rel, err := filepath.Rel(pAbs, abs); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return p, true
		}
		if info == nil {
			continue
		}
		var found string
		_ = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			if fi, err := os.Stat(path); err == nil && os.SameFile(info, fi) {
				found = path
				return filepath.SkipAll
			}
			return nil
		})
		if found != "" {
			return found, true
		}
	}
	return "", false
}

// snapshotOut is where apply writes the resulting snapshot, and the backup of the file it
// replaces: --write-snapshot, or --snapshot in place with FILE.backup kept beside it.
func snapshotOut(c *cli.Context, in *planInputs) (out string, opts fleet.WriteOptions) {
	out = c.String("write-snapshot")
	if out == "" || samePath(out, in.file) {
		return in.file, fleet.WriteOptions{Backup: in.file + ".backup"}
	}
	return out, fleet.WriteOptions{CommentsFrom: in.file} // the source's header, not OUT's
}

// samePath reports whether a and b name the same file.
func samePath(a, b string) bool {
	_, same := sameOrInside(a, []string{b})
	if fi, err := os.Stat(b); err == nil && fi.IsDir() {
		return false
	}
	return same
}

// writeUnchanged writes the snapshot to --write-snapshot when the plan has no changes, so
// that a pipeline's next step finds its input; in place there is nothing to write.
func writeUnchanged(c *cli.Context, in *planInputs) error {
	if in.snapshot == nil || c.String("write-snapshot") == "" {
		return nil
	}
	out, opts := snapshotOut(c, in)
	if out == in.file {
		return nil
	}
	if err := fleet.WriteFile(out, in.snapshot, opts); err != nil {
		return exitf(1, "%v", err)
	}
	fmt.Fprintf(c.App.Writer, "\nNothing to apply. Wrote %s unchanged.\n", out)
	return nil
}

// writeSnapshotResult writes the snapshot a plan was applied to and says what happened.
func writeSnapshotResult(c *cli.Context, in *planInputs, res apply.Result, sent bool) error {
	out, opts := snapshotOut(c, in)
	if err := fleet.WriteFile(out, in.snapshot, opts); err != nil {
		return exitf(1, "%v", err)
	}
	for _, a := range res.Alerts {
		if sent {
			fmt.Fprintf(c.App.Writer, "alert %s on %s via %s: %s\n", a.Rule, a.Node, channelsText(a), a.Subject)
			continue
		}
		fmt.Fprintf(c.App.Writer, "alert (not sent from a snapshot): %s on %s: %s\n", a.Rule, a.Node, a.Subject)
	}
	for _, s := range res.Skipped {
		fmt.Fprintf(c.App.Writer, "not applied: %s\n", s)
	}
	wrote := out
	if opts.Backup != "" {
		wrote += fmt.Sprintf(" (the previous snapshot is in %s)", opts.Backup)
	}
	fmt.Fprintf(c.App.Writer, "\nApply complete: %s changed, %s evicted, %d deferred. Wrote %s.\n",
		plural(res.NodesChanged, "node"), plural(res.PodsEvicted, "pod"), res.Deferred, wrote)
	return nil
}
