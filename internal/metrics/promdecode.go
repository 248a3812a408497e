package metrics

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/prometheus/common/model"

	"github.com/nodeguardian/nodeguardian/internal/series"
)

// rangeResponse is what one query_range response held.
type rangeResponse struct {
	status     string // "success" or "error"
	errorType  string
	errMsg     string
	resultType string // "matrix", or what else the query returned
	warnings   []string
	mapped     mapped // the result's series, assigned to nodes
}

// decodeRange reads a Prometheus query_range response in one pass: the envelope with
// json.Decoder tokens, then each series of data.result on its own, straight into samples
// assigned to nodes (see mapper) — the response is never held whole, nor decoded into an
// intermediate model.Matrix. Keys may come in any order. An error is the reader's (such
// as a responseTooLargeError) or a malformed response.
func decodeRange(r io.Reader, label string, want map[string]bool) (*rangeResponse, error) {
	dec := json.NewDecoder(r)
	out := &rangeResponse{}
	sd := &seriesDecoder{m: newMapper(label, want)}
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return nil, err
		}
		switch key {
		case "status":
			err = dec.Decode(&out.status)
		case "errorType":
			err = dec.Decode(&out.errorType)
		case "error":
			err = dec.Decode(&out.errMsg)
		case "warnings":
			err = dec.Decode(&out.warnings)
		case "data":
			err = decodeData(dec, out, sd)
		default:
			err = skipValue(dec)
		}
		if err != nil {
			return nil, err
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err == nil {
			err = errors.New("data after the response object")
		}
		return nil, err
	}
	out.mapped = sd.m.done()
	return out, nil
}

// decodeData decodes the "data" object (or null) of a response.
func decodeData(dec *json.Decoder, out *rangeResponse, sd *seriesDecoder) error {
	tok, err := dec.Token()
	if err != nil || tok == nil {
		return err
	}
	if tok != json.Delim('{') {
		return fmt.Errorf("data is %v, want an object", tok)
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return err
		}
		switch key {
		case "resultType":
			err = dec.Decode(&out.resultType)
		case "result":
			err = decodeResult(dec, out, sd)
		default:
			err = skipValue(dec)
		}
		if err != nil {
			return err
		}
	}
	return expectDelim(dec, '}')
}

// decodeResult decodes data.result: each element of a matrix is one series.
func decodeResult(dec *json.Decoder, out *rangeResponse, sd *seriesDecoder) error {
	tok, err := dec.Token()
	if err != nil || tok == nil {
		return err
	}
	if tok != json.Delim('[') {
		return skipRest(dec, tok)
	}
	for dec.More() {
		// Another result type (a scalar is [t, "v"]) is not decoded, only checked for syntax.
		sd.skip = out.resultType != "" && out.resultType != model.ValMatrix.String()
		if err := dec.Decode(sd); err != nil {
			return err
		}
	}
	return expectDelim(dec, ']')
}

// seriesDecoder decodes one series of a matrix, {"metric": {...}, "values": [[t, "v"], ...]},
// and hands it to the mapper; its buffer is reused from one series to the next.
type seriesDecoder struct {
	m    *mapper
	skip bool
	buf  []series.Sample
}

// UnmarshalJSON implements json.Unmarshaler. The decoder has checked b's syntax.
func (sd *seriesDecoder) UnmarshalJSON(b []byte) error {
	if sd.skip {
		return nil
	}
	s := scanner{b: b}
	if !s.consume('{') {
		return errors.New("a series is not an object")
	}
	var metric []byte
	sd.buf = sd.buf[:0]
	for !s.consume('}') {
		s.consume(',')
		key, err := s.str()
		if err != nil {
			return err
		}
		s.consume(':')
		switch key {
		case "metric":
			start := s.skipWS()
			s.skipValue()
			metric = b[start:s.i]
		case "values":
			if err := sd.values(&s); err != nil {
				return err
			}
		default: // "histograms": native histograms are not read
			s.skipValue()
		}
	}
	value, ok, err := labelValue(metric, sd.m.out.label)
	if err != nil {
		return err
	}
	show := func() string {
		var lm model.Metric
		if err := json.Unmarshal(metric, &lm); err != nil {
			return string(metric)
		}
		return lm.String()
	}
	sd.m.add(value, ok, show, sd.buf)
	return nil
}

// values decodes [[t, "v"], ...] into sd.buf, as model.SamplePair would: t is seconds
// with at most millisecond precision, v a quoted float (NaN and ±Inf included).
func (sd *seriesDecoder) values(s *scanner) error {
	s.skipWS()
	if s.peek() == 'n' { // null
		s.skipValue()
		return nil
	}
	if !s.consume('[') {
		return errors.New(`"values" is not an array`)
	}
	for !s.consume(']') {
		s.consume(',')
		if !s.consume('[') {
			return errors.New("a sample is not a [time, value] pair")
		}
		start := s.skipWS()
		s.skipValue()
		ms, err := parseMillis(s.b[start:s.i])
		if err != nil {
			return fmt.Errorf("sample time %s: %w", s.b[start:s.i], err)
		}
		s.consume(',')
		start = s.skipWS()
		s.skipValue()
		raw := s.b[start:s.i]
		if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
			return errors.New("sample value must be a quoted string")
		}
		v, err := strconv.ParseFloat(string(raw[1:len(raw)-1]), 64)
		if err != nil {
			return fmt.Errorf("sample value: %w", err)
		}
		if !s.consume(']') {
			return errors.New("a sample is not a [time, value] pair")
		}
		sd.buf = append(sd.buf, series.Sample{T: model.Time(ms).Time().UTC(), V: v})
	}
	return nil
}

// parseMillis parses a JSON number of seconds into milliseconds exactly as
// model.Time.UnmarshalJSON does: digits after the third decimal are dropped.
func parseMillis(b []byte) (int64, error) {
	base, frac, found := bytes.Cut(b, []byte("."))
	neg := len(base) > 0 && base[0] == '-'
	if neg {
		base = base[1:]
	}
	v, err := digits(base)
	if err != nil {
		return 0, err
	}
	v *= 1000
	if found {
		if len(frac) > 3 {
			frac = frac[:3]
		}
		f, err := digits(frac)
		if err != nil {
			return 0, err
		}
		for range 3 - len(frac) {
			f *= 10
		}
		v += f
	}
	if neg {
		v = -v
	}
	return v, nil
}

// digits parses a non-empty run of decimal digits that fits an int64 in milliseconds.
func digits(b []byte) (int64, error) {
	if len(b) == 0 || len(b) > 15 {
		return 0, errors.New("not a time in seconds")
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, errors.New("not a time in seconds")
		}
		v = v*10 + int64(c-'0')
	}
	return v, nil
}

// labelValue finds the value of label in a series' metric object (nil: none).
func labelValue(metric []byte, label string) (string, bool, error) {
	if len(metric) == 0 || metric[0] != '{' {
		return "", false, nil // "metric": null, or missing
	}
	s := scanner{b: metric}
	s.consume('{')
	for !s.consume('}') {
		s.consume(',')
		key, err := s.str()
		if err != nil {
			return "", false, err
		}
		s.consume(':')
		s.skipWS()
		if s.peek() != '"' {
			return "", false, fmt.Errorf("label %s is not a string", key)
		}
		if key != label {
			s.skipValue()
			continue
		}
		v, err := s.str()
		return v, true, err
	}
	return "", false, nil
}

// scanner walks JSON text whose syntax json.Decoder has already checked.
type scanner struct {
	b []byte
	i int
}

// skipWS skips white space and returns the new position.
func (s *scanner) skipWS() int {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return s.i
		}
	}
	return s.i
}

func (s *scanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// consume skips white space and then c, reporting whether c was there.
func (s *scanner) consume(c byte) bool {
	s.skipWS()
	if s.peek() == c {
		s.i++
		return true
	}
	return false
}

// str reads a string, unescaping it when it holds an escape.
func (s *scanner) str() (string, error) {
	start := s.skipWS()
	if s.peek() != '"' {
		return "", errors.New("want a string")
	}
	s.skipValue()
	raw := s.b[start:s.i]
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1]), nil
	}
	var v string
	err := json.Unmarshal(raw, &v)
	return v, err
}

// skipValue skips one value: a string, an object or array (nested), or a literal.
func (s *scanner) skipValue() {
	s.skipWS()
	depth := 0
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch c {
		case '"':
			s.i++
			for s.i < len(s.b) && s.b[s.i] != '"' {
				if s.b[s.i] == '\\' {
					s.i++
				}
				s.i++
			}
			s.i++
		case '{', '[':
			depth++
			s.i++
		case '}', ']':
			if depth == 0 {
				return // the end of the enclosing value
			}
			depth--
			s.i++
		case ',', ':', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return
			}
			s.i++
		default:
			s.i++
			continue
		}
		if depth == 0 {
			return
		}
	}
}

// expectDelim reads the delimiter d.
func expectDelim(dec *json.Decoder, d json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != d {
		return fmt.Errorf("got %v, want %v", tok, d)
	}
	return nil
}

// skipValue skips the next value of dec without keeping it.
func skipValue(dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	return skipRest(dec, tok)
}

// skipRest skips the rest of a value whose first token was tok.
func skipRest(dec *json.Decoder, tok json.Token) error {
	if d, ok := tok.(json.Delim); !ok || (d != '{' && d != '[') {
		return nil
	}
	for depth := 1; depth > 0; {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return nil
}
