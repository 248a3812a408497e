package load

import (
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/nodeguardian/nodeguardian/internal/redact"
)

// pos is a 1-based line and column; the zero pos means unknown.
type pos struct{ line, col int }

// loc is where one value of a document is written.
type loc struct {
	key  pos    // the field name (zero for list items and the root)
	val  pos    // the start of the value
	name string // the field name as written in the source (HCL: snake_case)
	item bool   // a list item: shown as [i] in field paths
}

// source is the text of one input file, shared by its documents.
type source struct {
	file  string   // display name
	lines []string // the file split into lines
	hcl   bool
	// secrets maps URLs holding credentials, as written in the file, to their redacted
	// form: snippets show the latter (see redactURLs).
	secrets map[string]string
}

// atWord matches a word of a source line (between blanks, quotes and YAML/HCL/JSON
// punctuation) that holds an "@": it may be a URL with user info.
var atWord = regexp.MustCompile(`[^\s"',\[\]{}()<>]*@[^\s"',\[\]{}()<>]*`)

// redactURL makes the snippets of the source show url redacted.
func (s *source) redactURL(url string) {
	if shown := redact.URL(url); shown != url {
		if s.secrets == nil {
			s.secrets = map[string]string{}
		}
		s.secrets[url] = shown
	}
}

// redactLine removes credentials from a source line shown in a snippet: the URLs
// redactURL was given (longest first), and every word with an "@" written like a URL
// with user info ("scheme:/…@", "//…@", "user:password@host"), shown as redact.URL
// shows it — which catches URLs under a misspelt field name too. An e-mail address
// ("oncall@example.com") has no ":" or "/" before its "@" and is shown as written.
func (s *source) redactLine(line string) string {
	urls := slices.SortedFunc(maps.Keys(s.secrets), func(a, b string) int { return len(b) - len(a) })
	for _, u := range urls {
		line = strings.ReplaceAll(line, u, s.secrets[u])
	}
	return atWord.ReplaceAllStringFunc(line, func(w string) string {
		if !strings.ContainsAny(w[:strings.LastIndex(w, "@")], ":/%") {
			return w
		}
		return redact.URL(w)
	})
}

func newSource(file string, data []byte, hcl bool) *source {
	return &source{file: displayName(file), lines: strings.Split(string(data), "\n"), hcl: hcl}
}

// document is one object read from a file: a generic JSON-like value (map[string]any,
// []any, string, float64, bool, nil) and where each of its values is written.
type document struct {
	src   *source
	root  map[string]any
	index map[string]loc // JSON pointer → location
	// broken holds pointers whose value could not be read; schema errors at or below
	// them are dropped because the reader has already reported the cause.
	broken map[string]bool
	diags  Diagnostics
	kind   string // NodeGuardianRule or AlertTemplate
}

func newDocument(src *source, start pos) *document {
	d := &document{src: src, root: map[string]any{}, index: map[string]loc{}, broken: map[string]bool{}}
	d.index[""] = loc{key: start, val: start}
	return d
}

// start is where the document begins.
func (d *document) start() pos { return d.index[""].val }

// name is metadata.name, or "" when absent or not a string.
func (d *document) name() string {
	md, _ := d.root["metadata"].(map[string]any)
	n, _ := md["name"].(string)
	return n
}

// ptrJoin appends one token to a JSON pointer.
func ptrJoin(ptr, tok string) string {
	return ptr + "/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(tok)
}

// ptrIndex appends a list index to a JSON pointer.
func ptrIndex(ptr string, i int) string { return ptr + "/" + strconv.Itoa(i) }

// ptrTokens splits a JSON pointer into its unescaped tokens.
func ptrTokens(ptr string) []string {
	if ptr == "" {
		return nil
	}
	toks := strings.Split(ptr[1:], "/")
	r := strings.NewReplacer("~1", "/", "~0", "~")
	for i, t := range toks {
		toks[i] = r.Replace(t)
	}
	return toks
}

// ptrFromTokens builds a JSON pointer from unescaped tokens.
func ptrFromTokens(toks []string) string {
	ptr := ""
	for _, t := range toks {
		ptr = ptrJoin(ptr, t)
	}
	return ptr
}

// ptrParent drops the last token of a non-root pointer.
func ptrParent(ptr string) string {
	if i := strings.LastIndexByte(ptr, '/'); i >= 0 {
		return ptr[:i]
	}
	return ""
}

// at finds where ptr is written: its name when onKey and known, else its value. A
// pointer that is not in the index (a missing field) falls back to its parent.
func (d *document) at(ptr string, onKey bool) pos {
	for {
		if l, ok := d.index[ptr]; ok {
			if onKey && l.key.line > 0 {
				return l.key
			}
			return l.val
		}
		if ptr == "" {
			return pos{}
		}
		ptr = ptrParent(ptr)
		onKey = false
	}
}

// textLine is where line n (1 for the first) of the text value at ptr is written: for
// a block scalar (YAML `|` or `>`) or an HCL heredoc (`<<EOT`, `<<-EOT`), whose text
// starts on the next line, that line of the file at its first non-blank column; for
// any other value (quoted or flow, where lines are not the file's), the value itself.
func (d *document) textLine(ptr string, n int) pos {
	p := d.at(ptr, false)
	if n < 1 || p.line < 1 || p.line > len(d.src.lines) {
		return p
	}
	line := d.src.lines[p.line-1]
	if p.col < 1 || p.col > len(line) {
		return p
	}
	head := strings.TrimSpace(line[p.col-1:])
	block := strings.HasPrefix(head, "<<")
	if !d.src.hcl {
		block = strings.HasPrefix(head, "|") || strings.HasPrefix(head, ">")
	}
	target := p.line + n
	if block && strings.HasPrefix(head, ">") {
		target = foldedLine(d.src.lines, p.line, n)
	}
	if !block || target > len(d.src.lines) {
		return p
	}
	text := d.src.lines[target-1]
	return pos{line: target, col: len(text) - len(strings.TrimLeft(text, " \t")) + 1}
}

// foldedLine is the line of the file (1 for the first) that holds line n of the text
// of the YAML folded block scalar (`>`) whose header is on line header: folding joins
// lines that follow each other into one, each blank line is a line break of its own, and
// the break before or after a more-indented line is kept. Past the block's last line it
// is that line.
func foldedLine(lines []string, header, n int) int {
	indent, line, last := -1, 1, header
	prevBlank, prevMore, seen := false, false, false
	for i := header; i < len(lines); i++ { // lines[i] is line i+1 of the file
		text := lines[i]
		blank := strings.TrimSpace(text) == ""
		ind := len(text) - len(strings.TrimLeft(text, " "))
		if !blank && indent < 0 {
			indent = ind
		}
		if !blank && ind < indent {
			break // the block ended
		}
		more := !blank && (ind > indent || strings.HasPrefix(text[ind:], "\t"))
		if i > header {
			if prevBlank {
				line++
			}
			if !blank && seen && (more || prevMore) {
				line++
			}
		}
		if line > n {
			break
		}
		last = i + 1
		if line == n && !blank {
			return last
		}
		prevBlank = blank
		if !blank {
			prevMore, seen = more, true
		}
	}
	return last
}

// sourceName is the name of the field at ptr as written in the source.
func (d *document) sourceName(ptr string) string {
	if l, ok := d.index[ptr]; ok && l.name != "" {
		return l.name
	}
	toks := ptrTokens(ptr)
	if len(toks) == 0 {
		return ""
	}
	return toks[len(toks)-1]
}

// fieldPath renders a pointer as "spec.conditions[0].operator", using the document
// to tell list indexes from field names. Keys that are not identifiers are quoted:
// matchLabels["kubernetes.io/os"].
func (d *document) fieldPath(ptr string) string {
	var b strings.Builder
	var cur any = d.root
	prefix := ""
	for _, tok := range ptrTokens(ptr) {
		prefix = ptrJoin(prefix, tok)
		list, isList := cur.([]any)
		switch {
		case isList || d.index[prefix].item:
			b.WriteString("[" + tok + "]")
			i, err := strconv.Atoi(tok)
			cur = nil
			if err == nil && i >= 0 && i < len(list) {
				cur = list[i]
			}
		default:
			m, _ := cur.(map[string]any)
			if isIdent(tok) {
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(tok)
			} else {
				b.WriteString("[" + strconv.Quote(tok) + "]")
			}
			cur = m[tok]
		}
	}
	return b.String()
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		letter := c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// diag makes a diagnostic positioned at ptr (its name when onKey) about the field at
// fieldPtr.
func (d *document) diag(sev Severity, ptr string, onKey bool, fieldPtr, msg string) Diagnostic {
	return d.src.diagAt(sev, d.at(ptr, onKey), d.fieldPath(fieldPtr), msg)
}

// diagAt makes a diagnostic at p in this source, with a snippet when p is known.
func (s *source) diagAt(sev Severity, p pos, field, msg string) Diagnostic {
	dg := Diagnostic{Severity: sev, File: s.file, Line: p.line, Column: p.col, Field: field, Message: msg}
	if p.line > 0 && p.line <= len(s.lines) {
		dg.Snippet = snippet(p.line, s.redactLine(s.lines[p.line-1]), p.col)
	}
	return dg
}

// isBroken reports whether ptr is at or below a value that could not be read.
func (d *document) isBroken(ptr string) bool {
	for {
		if d.broken[ptr] {
			return true
		}
		if ptr == "" {
			return false
		}
		ptr = ptrParent(ptr)
	}
}

// spell is how a field name is written in the document's source format: as is for
// YAML, snake_case (and singular for lists of blocks) for HCL.
func (d *document) spell(field string) string {
	if !d.src.hcl {
		return field
	}
	return hclName(field)
}

// valueAt returns the value at ptr, or nil when there is none.
func (d *document) valueAt(ptr string) any {
	var cur any = d.root
	for _, tok := range ptrTokens(ptr) {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
	}
	return cur
}
