package sdp

import (
	"errors"
	"strings"
)

// Bounds on what Parse accepts. A CPM offer is some 15 lines and 500
// bytes; these leave room for relays, extra attributes and a second
// media description, and no more.
const (
	MaxBytes      = 16 << 10 // whole session description
	MaxLines      = 256      // lines in all
	MaxMedia      = 16       // media descriptions
	MaxAttributes = 64       // a= lines of the session or of one media description
	MaxFormats    = 32       // formats on one m= line
)

// Session is one session description (RFC 8866 section 5). Optional
// fields are "" or nil when their line is absent.
type Session struct {
	Origin     Origin      // o=
	Name       string      // s=; may be "" (see the package comment)
	Info       string      // i=
	URI        string      // u=
	Emails     []string    // e=
	Phones     []string    // p=
	Connection *Connection // c= at session level
	Bandwidths []Bandwidth // b=
	Times      []Time      // t= with its r= lines; at least one
	TimeZones  string      // z=, kept as written
	Key        string      // k=, kept as written
	Attributes []Attribute // session-level a=
	Media      []Media     // m= and the lines after each
}

// Origin is the o= line: who made the description and which version of
// which session it is. SessionID and SessionVersion are decimal digit
// strings, kept as written because peers use more than 64 bits.
type Origin struct {
	Username       string // "-" when the host has no user ids
	SessionID      string
	SessionVersion string
	NetType        string // "IN"
	AddrType       string // "IP4" or "IP6"
	Address        string // address or host name of the machine
}

// Connection is a c= line.
type Connection struct {
	NetType  string // "IN"
	AddrType string // "IP4" or "IP6"
	Address  string // address or host name, with "/ttl/count" for multicast
}

// Bandwidth is a b= line, e.g. "AS:64".
type Bandwidth struct {
	Type  string
	Value uint64
}

// Time is a t= line and the r= lines after it. Start and Stop are NTP
// seconds; "t=0 0" means an unbounded session, as SIP uses it.
type Time struct {
	Start, Stop uint64
	Repeats     []string // r= values, kept as written
}

// Media is one media description: an m= line and the lines after it.
type Media struct {
	Type       string // "message" for MSRP
	Port       int    // 0 means the stream is rejected or disabled
	PortCount  int    // the "/<number of ports>" of the m= line; 0 when absent
	Proto      string // "TCP/MSRP" or "TCP/TLS/MSRP" for MSRP
	Formats    []string
	Info       string      // i=
	Connection *Connection // c=; nil means the session-level c= applies
	Bandwidths []Bandwidth
	Key        string
	Attributes []Attribute
}

// Attribute is an a= line. Value is "" for a property attribute such as
// a=sendonly; "a=name:" with an empty value is malformed.
type Attribute struct {
	Name  string
	Value string
}

// Value returns the value of the first attribute called name, compared
// case-sensitively as RFC 8866 asks, and whether there is one.
func (m *Media) Value(name string) (string, bool) {
	return lookup(m.Attributes, name)
}

// Value returns the value of the first session-level attribute called
// name and whether there is one.
func (s *Session) Value(name string) (string, bool) {
	return lookup(s.Attributes, name)
}

func lookup(attrs []Attribute, name string) (string, bool) {
	for _, a := range attrs {
		if a.Name == name {
			return a.Value, true
		}
	}
	return "", false
}

// ConnectionOf returns the connection data that applies to m: its own
// c= line, else the session's.
func (s *Session) ConnectionOf(m *Media) *Connection {
	if m.Connection != nil {
		return m.Connection
	}
	return s.Connection
}

// line is one line of input: its number, type letter and value.
type line struct {
	no  int
	typ byte
	val string
	raw string
}

// Parse decodes one session description. Errors wrap ErrMalformed and
// name the line.
func Parse(b []byte) (*Session, error) {
	if len(b) > MaxBytes {
		return nil, &LineError{Err: ErrTooLarge}
	}
	lines, err := splitLines(string(b))
	if err != nil {
		return nil, err
	}
	p := &parser{lines: lines}
	return p.session()
}

// splitLines cuts the input into typed lines: "<letter>=<value>", each
// ended by CRLF or LF; the last may have no ending.
func splitLines(s string) ([]line, error) {
	if s == "" {
		return nil, &LineError{Err: errors.New("empty session description")}
	}
	var lines []line
	for no := 1; s != ""; no++ {
		raw, rest, found := strings.Cut(s, "\n")
		s = rest
		if found {
			raw = strings.TrimSuffix(raw, "\r")
		}
		if len(lines) == MaxLines {
			return nil, &LineError{Line: no, Text: truncate(raw), Err: ErrTooLarge}
		}
		l, err := typedLine(no, raw)
		if err != nil {
			return nil, err
		}
		lines = append(lines, l)
	}
	return lines, nil
}

func typedLine(no int, raw string) (line, error) {
	if len(raw) < 2 || raw[1] != '=' || raw[0] < 'a' || raw[0] > 'z' {
		return line{}, lineError(no, raw, "not a <type>=<value> line")
	}
	if !isText(raw) {
		return line{}, lineError(no, raw, "NUL or CR in line")
	}
	return line{no: no, typ: raw[0], val: raw[2:], raw: raw}, nil
}

func lineError(no int, raw, msg string) error {
	return &LineError{Line: no, Text: truncate(raw), Err: errors.New(msg)}
}
