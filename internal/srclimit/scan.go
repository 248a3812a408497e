package srclimit

import "bytes"

// frame is one open level of nesting.
type frame struct {
	// kind is '(', '[' or '{' for brackets, '$' for a template interpolation or
	// directive (closed by '}'), '"' for a quoted template, 'H' for a heredoc and 0
	// for the file itself.
	kind byte
	// chain counts the unary and binary operators, conditionals and splats of the
	// expression being read in this frame: the parser (or evaluation) nests each of them.
	chain int
	// marker ends a heredoc.
	marker []byte
}

// scanner walks HCL source tracking its nesting. It is not a tokenizer: it knows
// just enough (strings, comments, heredocs, templates) not to count brackets that are
// text, and errs on the side of counting.
type scanner struct {
	data      []byte
	pos       int
	line, col int
	stack     []frame // stack[0] is the file
	depth     int     // len(stack)-1 plus every frame's chain
	operand   bool    // the last token of an expression ended an operand
	tokLine   int     // where the token being read starts
	tokCol    int
	errLine   int
	errCol    int
}

// run scans the whole source; false when it nests deeper than MaxDepth.
func (s *scanner) run() bool {
	s.stack = []frame{{}}
	for s.pos < len(s.data) {
		s.tokLine, s.tokCol = s.line, s.col
		var ok bool
		switch s.top().kind {
		case '"':
			ok = s.quoted()
		case 'H':
			ok = s.heredoc()
		default:
			ok = s.expression()
		}
		if !ok {
			return false
		}
	}
	return true
}

func (s *scanner) top() *frame { return &s.stack[len(s.stack)-1] }

// at reports whether the source continues with p at the current position.
func (s *scanner) at(p string) bool { return bytes.HasPrefix(s.data[s.pos:], []byte(p)) }

// advance moves n bytes on, keeping line and column (in characters) up to date.
func (s *scanner) advance(n int) {
	for ; n > 0 && s.pos < len(s.data); n-- {
		switch c := s.data[s.pos]; {
		case c == '\n':
			s.line, s.col = s.line+1, 1
		case c&0xC0 != 0x80: // not a UTF-8 continuation byte
			s.col++
		}
		s.pos++
	}
}

// skipUntil advances past the next occurrence of end, or to the end of the source.
func (s *scanner) skipUntil(end string) {
	i := bytes.Index(s.data[s.pos:], []byte(end))
	if i < 0 {
		s.advance(len(s.data) - s.pos)
		return
	}
	s.advance(i + len(end))
}

// push opens a frame; false when that is one level too many.
func (s *scanner) push(f frame) bool {
	s.stack = append(s.stack, f)
	s.depth++
	return s.check()
}

// pop closes the top frame.
func (s *scanner) pop() {
	s.depth -= 1 + s.top().chain
	s.stack = s.stack[:len(s.stack)-1]
}

// chain adds an operator, conditional or splat to the expression of the top frame.
func (s *scanner) chain() bool {
	s.top().chain++
	s.depth++
	return s.check()
}

// endChain ends the expression of the top frame (at a separator or newline).
func (s *scanner) endChain() {
	s.depth -= s.top().chain
	s.top().chain = 0
}

// check records the position when the depth is over MaxDepth.
func (s *scanner) check() bool {
	if s.depth <= MaxDepth {
		return true
	}
	s.errLine, s.errCol = s.tokLine, s.tokCol
	return false
}
