// Command jsonschema writes schemas/nodeguardian.schema.json from the generated CRDs.
// It is run by `make generate`.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/nodeguardian/nodeguardian/internal/schemagen"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: jsonschema CRD_DIR OUT")
		os.Exit(2)
	}
	files, err := filepath.Glob(filepath.Join(os.Args[1], "*.yaml"))
	if err != nil || len(files) == 0 {
		fmt.Fprintf(os.Stderr, "jsonschema: no CRDs in %s\n", os.Args[1])
		os.Exit(1)
	}
	sort.Strings(files)
	var docs [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintln(os.Stderr, "jsonschema:", err)
			os.Exit(1)
		}
		docs = append(docs, b)
	}
	out, err := schemagen.FromCRDs(docs...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "jsonschema:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(os.Args[2], out, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "jsonschema:", err)
		os.Exit(1)
	}
}
