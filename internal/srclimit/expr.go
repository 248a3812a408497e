package srclimit

// expression scans one token (or comment) in expression context: the file, a block
// body, brackets or a template interpolation.
func (s *scanner) expression() bool {
	c := s.data[s.pos]
	switch {
	case c == '#' || s.at("//"):
		s.skipUntil("\n")
		s.newline()
		return true
	case s.at("/*"):
		s.skipUntil("*/")
		return true
	case c == '\n':
		s.advance(1)
		s.newline()
		return true
	case c == ' ' || c == '\t' || c == '\r':
		s.advance(1)
		return true
	case c == '"':
		s.advance(1)
		s.operand = false
		return s.push(frame{kind: '"'})
	case s.at("<<") && !s.operand:
		if marker, n := heredocStart(s.data[s.pos:]); n > 0 {
			s.advance(n)
			return s.push(frame{kind: 'H', marker: marker})
		}
	case c == '(' || c == '[' || c == '{':
		return s.open(c)
	case c == ')' || c == ']' || c == '}':
		s.close(c)
		return true
	case c == '-' && !s.operand, c == '!' && !s.at("!="):
		s.advance(1)
		s.operand = false
		return s.chain()
	case c == '.': // a traversal ("a.b", "a.*") continues the expression
		s.advance(1)
		s.operand = false
		return !s.splatAfter(0) || s.chain()
	case isWord(c):
		s.advance(1)
		s.operand = true
		return true
	}
	if n := binaryOp(s.data[s.pos:]); n > 0 || c == ':' {
		// A binary operator or a conditional's "?" nests the expression once more (the
		// parser recurses into a conditional's results, and evaluating a+a+a… recurses
		// once per operator); ":" (a conditional's or an object's) neither nests nor
		// ends the expression.
		s.advance(max(n, 1))
		s.operand = false
		return n == 0 || s.chain()
	}
	// Any other separator ("=", ",", "=>") ends the expression and its chain.
	s.advance(1)
	s.endChain()
	s.operand = false
	return true
}

// binaryOp is the length of the binary operator or conditional "?" at the start of b, 0
// when there is none ("=" assigns, "=>" separates a for expression's key and value).
func binaryOp(b []byte) int {
	if len(b) >= 2 {
		switch string(b[:2]) {
		case "==", "!=", "<=", ">=", "&&", "||":
			return 2
		case "=>":
			return 0
		}
	}
	switch b[0] {
	case '+', '-', '*', '/', '%', '<', '>', '?':
		return 1
	}
	return 0
}

// newline ends an expression in the file and in braces (blocks, objects); inside
// parentheses and brackets a newline is only space.
func (s *scanner) newline() {
	if k := s.top().kind; k == 0 || k == '{' {
		s.endChain()
		s.operand = false
	}
}

// open reads an opening bracket; "[*" is a splat, which also nests.
func (s *scanner) open(c byte) bool {
	if c == '[' && s.splatAfter(1) && !s.chain() {
		return false
	}
	s.advance(1)
	s.operand = false
	return s.push(frame{kind: c})
}

// close reads a closing bracket. One that closes nothing open is left to the parser.
func (s *scanner) close(c byte) {
	s.advance(1)
	k := s.top().kind
	if c == ')' && k == '(' || c == ']' && k == '[' || c == '}' && (k == '{' || k == '$') {
		s.pop()
	}
	s.operand = true
}

// splatAfter reports whether a '*' follows the next n bytes, after spaces.
func (s *scanner) splatAfter(n int) bool {
	for i := s.pos + n; i < len(s.data); i++ {
		switch s.data[i] {
		case ' ', '\t':
			continue
		case '*':
			return true
		}
		return false
	}
	return false
}

// isWord reports whether c is part of an identifier or a number (any byte of a
// multi-byte UTF-8 character counts).
func isWord(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}
