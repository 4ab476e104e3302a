package mm7

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net/textproto"
)

// A multipart body arrives whole (an HTTP body, or the content of a part
// of it), so its parts are found in place: each part's content is a slice
// of the body, not a copy. Reading them through mime/multipart copied
// every byte of every part, once more for each level of nesting, into
// buffers grown by doubling.

// rawPart is one part of a multipart body: its header, with canonical
// keys, and its content, which aliases the body.
type rawPart struct {
	header  textproto.MIMEHeader
	content []byte
}

var (
	errNoDelimiter  = errors.New("no boundary delimiter")
	errNoCloseDelim = errors.New("no close delimiter")
	errCutShort     = errors.New("body ends within a part's header")
	errBadDelimiter = errors.New("broken delimiter line")
)

// splitMultipart finds the parts of body between the delimiters of
// boundary (RFC 2046 5.1.1) as mime/multipart reads them. A delimiter line
// is "--boundary", optional spaces or tabs, and the line end; the close
// delimiter line is "--boundary--", optional spaces or tabs, and the line
// end or the end of the body. The first delimiter line sets the line end
// for the rest, CRLF or a lone LF, and a part's content ends before the
// line end that starts the next delimiter line. The preamble and the
// epilogue are ignored. Unlike mime/multipart, which takes the end of the
// body after a delimiter line or within a part's header for the end of the
// parts, a body without its close delimiter is refused: it was cut short.
// More than maxParts parts is ErrTooManyParts.
func splitMultipart(body []byte, boundary string, maxParts int) ([]rawPart, error) {
	sp := splitter{body: body, dash: []byte("--" + boundary)}
	start, final, ok := sp.firstDelimiter()
	if !ok {
		return nil, errNoDelimiter
	}
	var parts []rawPart
	for !final {
		if len(parts) == maxParts {
			return nil, ErrTooManyParts
		}
		h, contentStart, err := readPartHeader(body, start)
		if err != nil {
			return nil, err
		}
		end, next, isFinal, err := sp.nextDelimiter(contentStart)
		if err != nil {
			return nil, err
		}
		parts = append(parts, rawPart{header: h, content: body[contentStart:end]})
		start, final = next, isFinal
	}
	return parts, nil
}

// splitter is the state of one splitMultipart.
type splitter struct {
	body []byte
	dash []byte // "--" boundary
	nl   []byte // the line end: CRLF, or LF when the first delimiter line ends so
}

// firstDelimiter finds the first delimiter line, skipping the preamble:
// the first part starts at next, unless the line is the close delimiter.
func (sp *splitter) firstDelimiter() (next int, final, ok bool) {
	for pos := 0; pos < len(sp.body); {
		if bytes.HasPrefix(sp.body[pos:], sp.dash) {
			i := skipSpaceTab(sp.body, pos+len(sp.dash))
			rest := sp.body[i:]
			switch {
			case bytes.HasPrefix(rest, []byte("\r\n")):
				sp.nl = []byte("\r\n")
				return i + 2, false, true
			case bytes.HasPrefix(rest, []byte("\n")):
				sp.nl = []byte("\n")
				return i + 1, false, true
			}
			sp.nl = []byte("\r\n")
			if sp.isClose(pos + len(sp.dash)) {
				return len(sp.body), true, true
			}
		}
		nl := bytes.IndexByte(sp.body[pos:], '\n')
		if nl < 0 {
			break
		}
		pos += nl + 1
	}
	return 0, false, false
}

// nextDelimiter finds the delimiter line that ends the content starting
// at start: the content is body[start:end], and the next part starts at
// next unless the line is the close delimiter.
func (sp *splitter) nextDelimiter(start int) (end, next int, final bool, err error) {
	b := sp.body
	var at int // where "--boundary" is
	if bytes.HasPrefix(b[start:], sp.dash) && sp.endsDash(start+len(sp.dash)) {
		// Empty content: the header block's empty line ends the
		// delimiter's line too.
		at, end = start, start
	} else {
		// The search is for "--boundary", then the line end before it is
		// checked: base64 has no '-', so in an encoded body the search
		// skips ahead, where one for the line end stopped at every line.
		for from := start + len(sp.nl); ; {
			i := -1
			if from <= len(b) {
				i = bytes.Index(b[from:], sp.dash)
			}
			if i < 0 {
				return 0, 0, false, errNoCloseDelim
			}
			at = from + i
			if bytes.Equal(b[at-len(sp.nl):at], sp.nl) && sp.endsDash(at+len(sp.dash)) {
				end = at - len(sp.nl)
				break
			}
			from = at + 1
		}
	}
	after := at + len(sp.dash)
	if sp.isClose(after) {
		return end, len(b), true, nil
	}
	i := skipSpaceTab(b, after)
	if !bytes.HasPrefix(b[i:], sp.nl) {
		return 0, 0, false, fmt.Errorf("%w: %q", errBadDelimiter, b[at:min(len(b), i+len(sp.nl))])
	}
	return end, i + len(sp.nl), false, nil
}

// endsDash reports whether "--boundary" ending at i can be a delimiter:
// what follows is white space, "--", or the end of the body. Anything
// else is content that happens to hold the boundary.
func (sp *splitter) endsDash(i int) bool {
	b := sp.body
	if i == len(b) {
		return true
	}
	switch b[i] {
	case ' ', '\t', '\r', '\n':
		return true
	case '-':
		return i+1 < len(b) && b[i+1] == '-'
	}
	return false
}

// isClose reports whether "--boundary" ending at i starts the close
// delimiter line: "--", optional spaces or tabs, and the line end or the
// end of the body.
func (sp *splitter) isClose(i int) bool {
	b := sp.body
	if !bytes.HasPrefix(b[i:], []byte("--")) {
		return false
	}
	j := skipSpaceTab(b, i+2)
	return j == len(b) || bytes.HasPrefix(b[j:], sp.nl)
}

func skipSpaceTab(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	return i
}

// readPartHeader reads the header block of the part starting at start,
// which ends at the first empty line; the content starts after it.
func readPartHeader(body []byte, start int) (textproto.MIMEHeader, int, error) {
	headerEnd := -1
	for pos := start; pos < len(body); {
		nl := bytes.IndexByte(body[pos:], '\n')
		if nl < 0 {
			break
		}
		line := body[pos : pos+nl]
		pos += nl + 1
		if len(line) == 0 || (len(line) == 1 && line[0] == '\r') {
			headerEnd = pos
			break
		}
	}
	if headerEnd < 0 {
		return nil, 0, errCutShort
	}
	h, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(body[start:headerEnd]))).ReadMIMEHeader()
	if err != nil {
		return nil, 0, err
	}
	return h, headerEnd, nil
}
