package sdp

import (
	"errors"
	"strconv"
	"strings"
)

// parser walks the typed lines in the order RFC 8866 section 5 fixes.
type parser struct {
	lines []line
	pos   int
}

// peek returns the type letter of the next line, 0 at the end.
func (p *parser) peek() byte {
	if p.pos == len(p.lines) {
		return 0
	}
	return p.lines[p.pos].typ
}

// take consumes the next line if it has type typ.
func (p *parser) take(typ byte) (line, bool) {
	if p.peek() != typ {
		return line{}, false
	}
	l := p.lines[p.pos]
	p.pos++
	return l, true
}

// need consumes a line of type typ or fails.
func (p *parser) need(typ byte) (line, error) {
	if l, ok := p.take(typ); ok {
		return l, nil
	}
	if p.pos == len(p.lines) {
		last := p.lines[len(p.lines)-1]
		return line{}, lineError(last.no+1, "", "missing "+string(typ)+"= line")
	}
	l := p.lines[p.pos]
	return line{}, lineError(l.no, l.raw, "expected "+string(typ)+"= line")
}

// text consumes an optional line of type typ whose value is a byte-string.
func (p *parser) text(typ byte) (string, error) {
	l, ok := p.take(typ)
	if !ok {
		return "", nil
	}
	if !isByteString(l.val) {
		return "", lineError(l.no, l.raw, "empty value")
	}
	return l.val, nil
}

// texts consumes any number of lines of type typ.
func (p *parser) texts(typ byte) ([]string, error) {
	var out []string
	for p.peek() == typ {
		v, err := p.text(typ)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (p *parser) session() (*Session, error) {
	s := &Session{}
	v, err := p.need('v')
	if err != nil {
		return nil, err
	}
	if v.val != "0" {
		return nil, lineError(v.no, v.raw, "version is not 0")
	}
	o, err := p.need('o')
	if err != nil {
		return nil, err
	}
	if s.Origin, err = parseOrigin(o); err != nil {
		return nil, err
	}
	name, err := p.need('s')
	if err != nil {
		return nil, err
	}
	s.Name = name.val
	if err := p.sessionFields(s); err != nil {
		return nil, err
	}
	for p.peek() == 'm' {
		if len(s.Media) == MaxMedia {
			l := p.lines[p.pos]
			return nil, &LineError{Line: l.no, Text: truncate(l.raw), Err: ErrTooLarge}
		}
		m, err := p.media()
		if err != nil {
			return nil, err
		}
		s.Media = append(s.Media, m)
	}
	if p.pos < len(p.lines) {
		return nil, p.misplaced()
	}
	if err := p.checkConnections(s); err != nil {
		return nil, err
	}
	return s, nil
}

// sessionFields reads the session-level lines between s= and the first m=.
func (p *parser) sessionFields(s *Session) error {
	var err error
	if s.Info, err = p.text('i'); err != nil {
		return err
	}
	if s.URI, err = p.text('u'); err != nil {
		return err
	}
	if s.Emails, err = p.texts('e'); err != nil {
		return err
	}
	if s.Phones, err = p.texts('p'); err != nil {
		return err
	}
	if s.Connection, err = p.connection(); err != nil {
		return err
	}
	if s.Bandwidths, err = p.bandwidths(); err != nil {
		return err
	}
	if s.Times, err = p.times(); err != nil {
		return err
	}
	if s.TimeZones, err = p.text('z'); err != nil {
		return err
	}
	if s.Key, err = p.text('k'); err != nil {
		return err
	}
	s.Attributes, err = p.attributes()
	return err
}

func (p *parser) media() (Media, error) {
	l, _ := p.take('m')
	m, err := parseMediaLine(l)
	if err != nil {
		return Media{}, err
	}
	if m.Info, err = p.text('i'); err != nil {
		return Media{}, err
	}
	if m.Connection, err = p.connection(); err != nil {
		return Media{}, err
	}
	if m.Bandwidths, err = p.bandwidths(); err != nil {
		return Media{}, err
	}
	if m.Key, err = p.text('k'); err != nil {
		return Media{}, err
	}
	m.Attributes, err = p.attributes()
	return m, err
}

// misplaced explains why the line at p.pos cannot be where it is.
func (p *parser) misplaced() error {
	l := p.lines[p.pos]
	if strings.IndexByte("vosiuepcbtrzkam", l.typ) < 0 {
		return lineError(l.no, l.raw, "unknown line type "+string(l.typ))
	}
	return lineError(l.no, l.raw, string(l.typ)+"= line out of order")
}

// checkConnections enforces RFC 8866 section 5.7: a c= line at session
// level or in every media description.
func (p *parser) checkConnections(s *Session) error {
	if s.Connection != nil {
		return nil
	}
	n := 0
	for _, l := range p.lines {
		if l.typ != 'm' {
			continue
		}
		if s.Media[n].Connection == nil {
			return lineError(l.no, l.raw, "no c= line for this media description")
		}
		n++
	}
	return nil
}

func parseOrigin(l line) (Origin, error) {
	f := strings.Split(l.val, " ")
	if len(f) != 6 {
		return Origin{}, lineError(l.no, l.raw, "origin needs 6 fields separated by single spaces")
	}
	o := Origin{Username: f[0], SessionID: f[1], SessionVersion: f[2], NetType: f[3], AddrType: f[4], Address: f[5]}
	if err := o.check(); err != nil {
		return Origin{}, lineError(l.no, l.raw, err.Error())
	}
	return o, nil
}

func (o Origin) check() error {
	switch {
	case !isNonWS(o.Username):
		return errors.New("bad username")
	case !isDigits(o.SessionID):
		return errors.New("bad sess-id")
	case !isDigits(o.SessionVersion):
		return errors.New("bad sess-version")
	case !isToken(o.NetType) || !isToken(o.AddrType):
		return errors.New("bad nettype or addrtype")
	case !isNonWS(o.Address):
		return errors.New("bad unicast-address")
	}
	return nil
}

func (p *parser) connection() (*Connection, error) {
	l, ok := p.take('c')
	if !ok {
		return nil, nil
	}
	f := strings.Split(l.val, " ")
	if len(f) != 3 {
		return nil, lineError(l.no, l.raw, "connection needs 3 fields separated by single spaces")
	}
	c := &Connection{NetType: f[0], AddrType: f[1], Address: f[2]}
	if err := c.check(); err != nil {
		return nil, lineError(l.no, l.raw, err.Error())
	}
	if p.peek() == 'c' {
		// RFC 8866 allows several only for layered multicast, which no
		// MSRP session uses.
		l := p.lines[p.pos]
		return nil, lineError(l.no, l.raw, "more than one c= line")
	}
	return c, nil
}

func (c *Connection) check() error {
	if !isToken(c.NetType) || !isToken(c.AddrType) || !isNonWS(c.Address) {
		return errors.New("bad connection data")
	}
	return nil
}

func (p *parser) bandwidths() ([]Bandwidth, error) {
	var out []Bandwidth
	for {
		l, ok := p.take('b')
		if !ok {
			return out, nil
		}
		typ, val, found := strings.Cut(l.val, ":")
		n, ok := parseUint(val, 1<<63-1)
		if !found || !isToken(typ) || !ok {
			return nil, lineError(l.no, l.raw, "bandwidth is not <bwtype>:<number>")
		}
		out = append(out, Bandwidth{Type: typ, Value: n})
	}
}

func (p *parser) times() ([]Time, error) {
	if p.peek() != 't' {
		_, err := p.need('t')
		return nil, err
	}
	var out []Time
	for {
		l, ok := p.take('t')
		if !ok {
			return out, nil
		}
		start, stop, found := strings.Cut(l.val, " ")
		t0, ok0 := parseUint(start, 1<<64-1)
		t1, ok1 := parseUint(stop, 1<<64-1)
		if !found || !ok0 || !ok1 {
			return nil, lineError(l.no, l.raw, "time is not <start> <stop>")
		}
		r, err := p.texts('r')
		if err != nil {
			return nil, err
		}
		out = append(out, Time{Start: t0, Stop: t1, Repeats: r})
	}
}

func (p *parser) attributes() ([]Attribute, error) {
	var out []Attribute
	for {
		l, ok := p.take('a')
		if !ok {
			return out, nil
		}
		if len(out) == MaxAttributes {
			return nil, &LineError{Line: l.no, Text: truncate(l.raw), Err: ErrTooLarge}
		}
		name, val, hasVal := strings.Cut(l.val, ":")
		if !isToken(name) {
			return nil, lineError(l.no, l.raw, "bad attribute name")
		}
		if hasVal && val == "" {
			return nil, lineError(l.no, l.raw, "empty attribute value")
		}
		out = append(out, Attribute{Name: name, Value: val})
	}
}

// parseMediaLine reads "<media> <port>[/<count>] <proto> <fmt> ...".
func parseMediaLine(l line) (Media, error) {
	f := strings.Split(l.val, " ")
	if len(f) < 4 {
		return Media{}, lineError(l.no, l.raw, "media needs <media> <port> <proto> <fmt>")
	}
	if len(f)-3 > MaxFormats {
		return Media{}, &LineError{Line: l.no, Text: truncate(l.raw), Err: ErrTooLarge}
	}
	m := Media{Type: f[0], Proto: f[2], Formats: f[3:]}
	port, count, hasCount := strings.Cut(f[1], "/")
	n, ok := parseUint(port, 65535)
	if !ok {
		return Media{}, lineError(l.no, l.raw, "bad port")
	}
	m.Port = int(n)
	if hasCount {
		c, ok := parseUint(count, 65535)
		if !ok || c == 0 {
			return Media{}, lineError(l.no, l.raw, "bad number of ports")
		}
		m.PortCount = int(c)
	}
	if err := m.checkLine(); err != nil {
		return Media{}, lineError(l.no, l.raw, err.Error())
	}
	return m, nil
}

// checkLine validates what goes on the m= line.
func (m *Media) checkLine() error {
	if !isToken(m.Type) {
		return errors.New("bad media type")
	}
	if m.Port < 0 || m.Port > 65535 || m.PortCount < 0 || m.PortCount > 65535 {
		return errors.New("bad port " + strconv.Itoa(m.Port))
	}
	for _, t := range strings.Split(m.Proto, "/") {
		if !isToken(t) {
			return errors.New("bad proto")
		}
	}
	if len(m.Formats) == 0 || len(m.Formats) > MaxFormats {
		return errors.New("bad number of formats")
	}
	for _, f := range m.Formats {
		if !isToken(f) {
			return errors.New("bad format")
		}
	}
	return nil
}
