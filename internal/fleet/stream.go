package fleet

import (
	"bytes"
	"errors"
	"iter"
	"runtime"
	"slices"
	"sync"

	"go.yaml.in/yaml/v3"
)

// Snapshots are read as a stream when they are in the block layout Marshal writes (and
// people write by hand): each item of nodes, pods and podDisruptionBudgets is parsed on
// its own, decoded, and its YAML tree dropped, so that reading a large fleet costs the
// file and the decoded objects, not a YAML tree of the whole file. Anything else — JSON,
// flow style, document markers, anchors used across items, a syntax error — is read as
// one document, which also gives every error its exact line.

// streamFields are the top-level list fields whose items are parsed one at a time.
var streamFields = []string{fieldNodes, fieldPods, fieldPDBs}

// chunk is where one list item's text is in the file: bytes [start, end), from line on.
type chunk struct {
	start, end int
	line       int // 1-based
}

// layout is a snapshot split for streaming: rest is the file with the lines of the
// streamed items emptied (their line breaks kept, so that every line keeps its number),
// items the items by field.
type layout struct {
	rest  []byte
	items map[string][]chunk
}

// errNotStreamable makes Parse read the file as one document.
var errNotStreamable = errors.New("fleet: not in block layout")

// splitLayout splits data into its streamed items and the rest, or fails with
// errNotStreamable when the file is not in block layout.
func splitLayout(data []byte) (*layout, error) {
	l := &layout{rest: make([]byte, 0, 4096), items: map[string][]chunk{}}
	field, indent := "", -1 // the streamed field whose items follow, their indentation
	line := 0
	for off := 0; off < len(data); line++ {
		end := len(data)
		if i := bytes.IndexByte(data[off:], '\n'); i >= 0 {
			end = off + i + 1
		}
		text := data[off:end]
		body := bytes.TrimLeft(text, " ")
		depth := len(text) - len(body)
		content := bytes.TrimRight(body, " \r\n")
		items := l.items[field]
		switch {
		case len(content) == 0 || content[0] == '#':
			// blank or comment: part of the item it follows, if any
		case depth == 0 && !isDash(content):
			key, ok := blockKey(content)
			if !ok {
				return nil, errNotStreamable
			}
			field, indent, items = "", -1, nil
			if slices.Contains(streamFields, key) && len(bytes.TrimSpace(content[len(key)+1:])) == 0 {
				if len(l.items[key]) > 0 {
					return nil, errNotStreamable // a duplicate field: the whole-document read reports it
				}
				field = key
			}
		case field == "":
			// a line of a field read with the rest
		case isDash(content) && (indent < 0 || depth == indent):
			indent = depth
			items = append(items, chunk{start: off, line: line + 1})
		case len(items) > 0 && depth > indent:
			// more of the item
		default:
			return nil, errNotStreamable
		}
		if field != "" && len(items) > 0 {
			items[len(items)-1].end = end
			l.items[field] = items
			if text[len(text)-1] == '\n' {
				l.rest = append(l.rest, '\n')
			}
		} else {
			l.rest = append(l.rest, text...)
		}
		off = end
	}
	return l, nil
}

// isDash reports whether a line's content starts a block sequence item.
func isDash(content []byte) bool {
	return len(content) == 1 && content[0] == '-' || len(content) > 1 && content[0] == '-' && content[1] == ' '
}

// blockKey is the key of a top-level block mapping line "key:" or "key: value"; ok is
// false for anything else (flow collections, quoted or complex keys, document markers,
// directives, tags, anchors).
func blockKey(content []byte) (string, bool) {
	i := bytes.IndexByte(content, ':')
	if i <= 0 || i+1 < len(content) && content[i+1] != ' ' {
		return "", false
	}
	for _, c := range content[:i] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return "", false
		}
	}
	return string(content[:i]), true
}

// parseItems parses the field's items, each into a YAML tree whose lines are the
// file's, and decodes them, a batch at a time by a few workers, and yields them in
// order; it stops, setting *failed, when an item does not parse on its own as one block
// sequence item.
func (l *layout) parseItems(file string, data []byte, field string, failed *bool) iter.Seq2[int, listItem] {
	return func(yield func(int, listItem) bool) {
		all := l.items[field]
		workers := min(runtime.GOMAXPROCS(0), 8)
		parsed := make([]listItem, min(len(all), encodeBatch))
		for start := 0; start < len(all); start += encodeBatch {
			batch := all[start:min(start+encodeBatch, len(all))]
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() {
					for k := w; k < len(batch); k += workers {
						parsed[k] = listItem{node: parseItem(data, batch[k])}
						if parsed[k].node != nil {
							predecode(file, field, start+k, &parsed[k])
						}
					}
				})
			}
			wg.Wait()
			for k, item := range parsed[:len(batch)] {
				if item.node == nil {
					*failed = true
					return
				}
				if !yield(start+k, item) {
					return
				}
			}
		}
	}
}

// parseItem parses one item's text; nil when it is not one block sequence item.
func parseItem(data []byte, c chunk) *yaml.Node {
	var doc yaml.Node
	err := yaml.Unmarshal(data[c.start:c.end], &doc)
	if err != nil || doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 ||
		doc.Content[0].Kind != yaml.SequenceNode || len(doc.Content[0].Content) != 1 {
		return nil
	}
	item := doc.Content[0].Content[0]
	shiftLines(item, c.line-1)
	return item
}

// shiftLines adds delta to the line of n and of every node under it.
func shiftLines(n *yaml.Node, delta int) {
	n.Line += delta
	for _, c := range n.Content {
		shiftLines(c, delta)
	}
}
