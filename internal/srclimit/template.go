package srclimit

import "bytes"

// quoted scans one piece of a quoted template ("...").
func (s *scanner) quoted() bool {
	switch c := s.data[s.pos]; {
	case c == '\\':
		s.advance(2)
	case c == '"':
		s.advance(1)
		s.pop()
		s.operand = true
	case c == '\n': // a quoted template ends at the line; the parser reports it
		s.pop()
	default:
		return s.templatePiece()
	}
	return true
}

// heredoc scans one piece of a heredoc template, which ends at a line holding only its
// marker (after spaces).
func (s *scanner) heredoc() bool {
	if s.col == 1 {
		if n := markerLine(s.data[s.pos:], s.top().marker); n > 0 {
			s.advance(n)
			s.pop()
			s.operand = true
			return true
		}
	}
	return s.templatePiece()
}

// templatePiece scans template text: "${" and "%{" open an interpolation or
// directive, "$${" and "%%{" are literal.
func (s *scanner) templatePiece() bool {
	switch {
	case s.at("$${"), s.at("%%{"):
		s.advance(3)
	case s.at("${"), s.at("%{"):
		s.advance(2)
		s.operand = false
		return s.push(frame{kind: '$'})
	default:
		s.advance(1)
	}
	return true
}

// heredocStart recognizes "<<MARKER\n" or "<<-MARKER\n" at the start of data and
// returns the marker and the length of the opener; n is 0 when it is none.
func heredocStart(data []byte) (marker []byte, n int) {
	i := 2
	if i < len(data) && data[i] == '-' {
		i++
	}
	start := i
	for i < len(data) && (isWord(data[i]) || data[i] == '-') {
		i++
	}
	if i == start {
		return nil, 0
	}
	marker = data[start:i]
	if i < len(data) && data[i] == '\r' {
		i++
	}
	if i >= len(data) || data[i] != '\n' {
		return nil, 0
	}
	return marker, i + 1
}

// markerLine returns the length of the line at the start of data when it holds only
// marker (after spaces, before "\r"), up to and excluding its newline; 0 otherwise.
func markerLine(data, marker []byte) int {
	end := bytes.IndexByte(data, '\n')
	if end < 0 {
		end = len(data)
	}
	line := bytes.TrimRight(bytes.TrimLeft(data[:end], " \t"), "\r")
	if !bytes.Equal(line, marker) {
		return 0
	}
	return end
}
