package msrp

import (
	"bytes"
	"errors"
	"strings"
)

var (
	crlf       = []byte("\r\n")
	hyphens    = "-------"
	startMSRP  = "MSRP "
	errPartial = errors.New("partial") // internal: more input needed
)

// Unmarshal decodes data, which must hold exactly one frame. The Body
// aliases data. A zero cfg means the default limits.
func Unmarshal(data []byte, cfg Config) (*Frame, error) {
	var s frameScanner
	f, n, err := s.scan(data, cfg.WithDefaults())
	if errors.Is(err, errPartial) {
		return nil, ErrIncomplete
	}
	if err != nil {
		return nil, err
	}
	if n != len(data) {
		return nil, ErrTrailingData
	}
	return f, nil
}

// frameScanner finds one frame at the front of a growing buffer. It keeps
// what it learnt between calls so that a Reader does not rescan a body.
type frameScanner struct {
	headers   *headerCache // a Reader's; nil for Unmarshal
	f         *Frame
	bodyStart int  // offset of the body (hasBody) or of the end-line
	hasBody   bool // an empty line ended the header block
	scanFrom  int  // where the next end-line search starts
	headScan  int  // where the next search for the header block's end starts
	startOK   bool // the start line has been checked
}

// scan returns the frame at the front of data and its length in bytes,
// or errPartial when data ends first.
func (s *frameScanner) scan(data []byte, cfg Config) (*Frame, int, error) {
	if s.f == nil {
		if err := s.headReady(data, cfg); err != nil {
			return nil, 0, err
		}
		f, n, hasBody, err := parseHead(data, cfg, s.headers)
		if err != nil {
			return nil, 0, err
		}
		s.f, s.bodyStart, s.hasBody, s.scanFrom = f, n, hasBody, n-2
	}
	if !s.hasBody {
		flag, n, err := parseEndLine(data[s.bodyStart:], s.f.TransactionID)
		if err != nil {
			return nil, 0, err
		}
		s.f.Flag = flag
		return s.f, s.bodyStart + n, nil
	}
	return s.scanBody(data, cfg)
}

func (s *frameScanner) scanBody(data []byte, cfg Config) (*Frame, int, error) {
	tid := s.f.TransactionID
	for {
		i := indexEndLine(data[s.scanFrom:], tid)
		if i < 0 {
			s.scanFrom = max(s.scanFrom, len(data)-1)
			if len(data)-s.bodyStart > cfg.MaxBodyBytes+2 {
				return nil, 0, ErrBodyTooLarge
			}
			return nil, 0, errPartial
		}
		at := s.scanFrom + i
		flagAt := at + 2 + len(hyphens) + len(tid)
		if flagAt >= len(data) {
			s.scanFrom = at
			return nil, 0, errPartial
		}
		if !Flag(data[flagAt]).valid() {
			s.scanFrom = at + 1 // a longer id or data that looks alike
			continue
		}
		if bodyEnd := max(at, s.bodyStart); bodyEnd-s.bodyStart > cfg.MaxBodyBytes {
			return nil, 0, ErrBodyTooLarge
		}
		flag, n, err := parseEndLine(data[at+2:], tid)
		if err != nil {
			return nil, 0, err
		}
		if body := data[s.bodyStart:max(at, s.bodyStart)]; len(body) > 0 {
			s.f.Body = body
		}
		s.f.Flag = flag
		return s.f, at + 2 + n, nil
	}
}

// headReady returns nil once data holds a whole header block: a CRLF
// followed by an empty line or by "-------". It remembers how far it
// looked so that a Reader fed byte by byte does not rescan, and, while the
// block is incomplete, checks the start line once it is whole so that
// garbage fails early.
func (s *frameScanner) headReady(data []byte, cfg Config) error {
	for {
		j := bytes.Index(data[s.headScan:], crlf)
		if j < 0 {
			break
		}
		at := s.headScan + j
		rest := data[at+2:]
		if hasPrefixString(rest, "\r\n") || hasPrefixString(rest, hyphens) {
			return nil
		}
		if isPrefixOf(rest, "\r\n") || isPrefixOf(rest, hyphens) {
			s.headScan = at
			break
		}
		s.headScan = at + 1
	}
	if s.headScan < len(data)-1 && bytes.Index(data[s.headScan:], crlf) < 0 {
		s.headScan = max(s.headScan, len(data)-1)
	}
	// The header block is not all here: a start line that is not MSRP
	// is refused now rather than after MaxHeaderBytes of it. A complete
	// block's start line is checked once, by parseHead.
	if !s.startOK {
		if i := bytes.Index(data, crlf); i >= 0 {
			if err := new(Frame).parseStartLine(data[:i]); err != nil {
				return err
			}
			s.startOK = true
		}
	}
	if len(data) > cfg.MaxHeaderBytes {
		return ErrHeaderTooLarge
	}
	return errPartial
}

// indexEndLine returns the index of CRLF "-------" tid in b, or -1.
func indexEndLine(b []byte, tid string) int {
	for from := 0; ; {
		i := bytes.Index(b[from:], crlf)
		if i < 0 {
			return -1
		}
		i += from
		rest := b[i+2:]
		if hasPrefixString(rest, hyphens) && hasPrefixString(rest[len(hyphens):], tid) {
			return i
		}
		if len(rest) < len(hyphens)+len(tid) && isPrefixOf(rest, hyphens+tid) {
			return i // may become an end-line with more input
		}
		from = i + 1
	}
}

func hasPrefixString(b []byte, s string) bool {
	return len(b) >= len(s) && string(b[:len(s)]) == s
}

func isPrefixOf(b []byte, s string) bool {
	return len(b) <= len(s) && string(b) == s[:len(b)]
}

// parseEndLine parses "-------" tid flag CRLF at the front of b.
func parseEndLine(b []byte, tid string) (Flag, int, error) {
	wl := len(hyphens) + len(tid)
	n := wl + 3
	switch {
	case !endLineMatches(b, tid),
		len(b) > wl && !Flag(b[wl]).valid(),
		len(b) > wl+1 && b[wl+1] != '\r',
		len(b) > wl+2 && b[wl+2] != '\n':
		return 0, 0, syntaxError("bad end-line for transaction %q", tid)
	case len(b) < n:
		return 0, 0, errPartial
	}
	return Flag(b[wl]), n, nil
}

// endLineMatches reports whether b and "-------" tid agree on their
// common length. It builds no string: it runs once per frame read.
func endLineMatches(b []byte, tid string) bool {
	h := min(len(b), len(hyphens))
	if string(b[:h]) != hyphens[:h] {
		return false
	}
	rest := b[h:]
	t := min(len(rest), len(tid))
	return string(rest[:t]) == tid[:t]
}

// headerCache keeps the header lines of the frame a Reader read last, by
// position, with the URIs of its path lines. Every chunk of a message
// repeats its To-Path, From-Path, Message-ID, Content-Type and report
// headers in the same places: a line equal to the one at its place reuses
// that string, not a new one, and a path line its parsed URIs, which
// parsing them was a third of the cost of a chunk's header. Frames that
// reuse paths share the slices; paths are read-only.
type headerCache struct {
	lines [cachedLines]cachedLine
}

const cachedLines = 8

type cachedLine struct {
	text string
	path []URI // the URIs when text is a To-Path or From-Path line
	to   bool  // the path is a To-Path
}

// at returns the line kept for position i, nil past cachedLines or
// without a cache (Unmarshal).
func (c *headerCache) at(i int) *cachedLine {
	if c == nil || i >= cachedLines {
		return nil
	}
	return &c.lines[i]
}

// reusePath sets f's path from the line kept at the place of line when it
// is the same path line, and its header is not yet seen in this frame.
func (l *cachedLine) reusePath(f *Frame, h *headerSet) bool {
	i := 1 // index of From-Path in typedHeaders
	if l.to {
		i = 0 // To-Path
	}
	if l.path == nil || h.seen[i] {
		return false
	}
	if h.seen[i] = true; l.to {
		f.ToPath = l.path
	} else {
		f.FromPath = l.path
	}
	return true
}

// parseHead parses the start line and header block at the front of data.
// n is the offset of the body when hasBody, else of the end-line. cache,
// when not nil, is the Reader's.
func parseHead(data []byte, cfg Config, cache *headerCache) (f *Frame, n int, hasBody bool, err error) {
	line, pos, err := nextLine(data, 0, cfg)
	if err != nil {
		return nil, 0, false, err
	}
	f = &Frame{}
	if err := f.parseStartLine(line); err != nil {
		return nil, 0, false, err
	}
	var h headerSet
	for count := 0; ; count++ {
		if hasPrefixString(data[pos:], hyphens) {
			return f, pos, false, h.finish(f)
		}
		line, next, err := nextLine(data, pos, cfg)
		if err != nil {
			return nil, 0, false, err
		}
		if len(line) == 0 {
			if f.IsResponse() {
				return nil, 0, false, syntaxError("response with a body")
			}
			if f.ContentType == "" {
				return nil, 0, false, headerError(hdrContentType, "", ErrMissingHeader)
			}
			return f, next, true, h.finish(f)
		}
		if count == cfg.MaxHeaders {
			return nil, 0, false, ErrHeaderTooLarge
		}
		pos = next
		kept := cache.at(count)
		if kept == nil {
			if _, err := h.add(f, string(line)); err != nil {
				return nil, 0, false, err
			}
			continue
		}
		if kept.text == string(line) {
			if kept.reusePath(f, &h) {
				continue
			}
		} else {
			*kept = cachedLine{text: string(line)}
		}
		canon, err := h.add(f, kept.text)
		if err != nil {
			return nil, 0, false, err
		}
		switch canon {
		case hdrToPath:
			kept.path, kept.to = f.ToPath, true
		case hdrFromPath:
			kept.path = f.FromPath
		}
	}
}

// nextLine returns the line at data[pos:] without its CRLF and the offset
// after the CRLF.
func nextLine(data []byte, pos int, cfg Config) ([]byte, int, error) {
	i := bytes.Index(data[pos:], crlf)
	if i < 0 {
		if len(data) > cfg.MaxHeaderBytes {
			return nil, 0, ErrHeaderTooLarge
		}
		return nil, 0, errPartial
	}
	if pos+i+2 > cfg.MaxHeaderBytes {
		return nil, 0, ErrHeaderTooLarge
	}
	return data[pos : pos+i], pos + i + 2, nil
}

// parseStartLine parses "MSRP" SP tid SP (method / code [SP comment]).
func (f *Frame) parseStartLine(line []byte) error {
	s := string(line)
	rest, ok := strings.CutPrefix(s, startMSRP)
	if !ok {
		return syntaxError("start line does not begin with %q", startMSRP)
	}
	tid, rest, ok := strings.Cut(rest, " ")
	if !ok || !IsIdent(tid) {
		return syntaxError("bad transaction id in start line")
	}
	f.TransactionID = tid
	if isMethod(rest) {
		f.Method = rest
		return nil
	}
	code, ok := parseThreeDigits(rest[:min(3, len(rest))])
	if !ok || len(rest) > 3 && rest[3] != ' ' || !isText(rest) {
		return syntaxError("start line has neither a method nor a status code")
	}
	f.Code = StatusCode(code)
	if len(rest) > 3 {
		f.Comment = trimSpace(rest[4:])
	}
	return nil
}
