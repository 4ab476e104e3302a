package sdp

import (
	"errors"
	"fmt"
	"strconv"
)

// Marshal encodes s in the line order of RFC 8866 section 5, every line
// ended by CRLF. It refuses, with an error wrapping ErrInvalid, a value
// that Parse would not read back: a CR, LF or NUL in any field, a space
// where the grammar has none, a missing t= or c= line, or more than the
// Parse bounds allow. An empty Name is written as "s=" and read back as
// "".
func (s *Session) Marshal() ([]byte, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	w := writer{b: make([]byte, 0, 512)}
	o := s.Origin
	w.line('v', "0")
	w.line('o', o.Username+" "+o.SessionID+" "+o.SessionVersion+" "+o.NetType+" "+o.AddrType+" "+o.Address)
	w.line('s', s.Name)
	w.optional('i', s.Info)
	w.optional('u', s.URI)
	w.lines('e', s.Emails)
	w.lines('p', s.Phones)
	w.connection(s.Connection)
	w.bandwidths(s.Bandwidths)
	for _, t := range s.Times {
		w.line('t', strconv.FormatUint(t.Start, 10)+" "+strconv.FormatUint(t.Stop, 10))
		w.lines('r', t.Repeats)
	}
	w.optional('z', s.TimeZones)
	w.optional('k', s.Key)
	w.attributes(s.Attributes)
	for i := range s.Media {
		w.media(&s.Media[i])
	}
	if len(w.b) > MaxBytes || w.n > MaxLines {
		return nil, invalid("session description of %d bytes in %d lines exceeds the bounds", len(w.b), w.n)
	}
	return w.b, nil
}

// writer appends CRLF-ended lines and counts them.
type writer struct {
	b []byte
	n int
}

func (w *writer) line(typ byte, val string) {
	w.b = append(w.b, typ, '=')
	w.b = append(w.b, val...)
	w.b = append(w.b, '\r', '\n')
	w.n++
}

func (w *writer) optional(typ byte, val string) {
	if val != "" {
		w.line(typ, val)
	}
}

func (w *writer) lines(typ byte, vals []string) {
	for _, v := range vals {
		w.line(typ, v)
	}
}

func (w *writer) connection(c *Connection) {
	if c != nil {
		w.line('c', c.NetType+" "+c.AddrType+" "+c.Address)
	}
}

func (w *writer) bandwidths(bs []Bandwidth) {
	for _, b := range bs {
		w.line('b', b.Type+":"+strconv.FormatUint(b.Value, 10))
	}
}

func (w *writer) attributes(as []Attribute) {
	for _, a := range as {
		if a.Value == "" {
			w.line('a', a.Name)
		} else {
			w.line('a', a.Name+":"+a.Value)
		}
	}
}

func (w *writer) media(m *Media) {
	port := strconv.Itoa(m.Port)
	if m.PortCount > 0 {
		port += "/" + strconv.Itoa(m.PortCount)
	}
	val := m.Type + " " + port + " " + m.Proto
	for _, f := range m.Formats {
		val += " " + f
	}
	w.line('m', val)
	w.optional('i', m.Info)
	w.connection(m.Connection)
	w.bandwidths(m.Bandwidths)
	w.optional('k', m.Key)
	w.attributes(m.Attributes)
}

// check reports the first field Marshal cannot write.
func (s *Session) check() error {
	if err := s.checkFields(); err != nil {
		return invalid("%v", err)
	}
	return nil
}

func (s *Session) checkFields() error {
	if err := s.Origin.check(); err != nil {
		return fmt.Errorf("o=: %v", err)
	}
	if !isText(s.Name) || !isText(s.Info) || !isText(s.URI) || !isText(s.TimeZones) || !isText(s.Key) {
		return errors.New("CR, LF or NUL in a session field")
	}
	if err := checkTexts("e=", s.Emails); err != nil {
		return err
	}
	if err := checkTexts("p=", s.Phones); err != nil {
		return err
	}
	if len(s.Times) == 0 {
		return errors.New("no t= line")
	}
	for _, t := range s.Times {
		if err := checkTexts("r=", t.Repeats); err != nil {
			return err
		}
	}
	if err := checkCommon(s.Connection, s.Bandwidths, s.Attributes); err != nil {
		return err
	}
	if len(s.Media) > MaxMedia {
		return fmt.Errorf("%d media descriptions", len(s.Media))
	}
	for i := range s.Media {
		if err := s.Media[i].check(s.Connection != nil); err != nil {
			return fmt.Errorf("media %d: %v", i, err)
		}
	}
	return nil
}

func (m *Media) check(sessionConnection bool) error {
	if err := m.checkLine(); err != nil {
		return err
	}
	if !isText(m.Info) || !isText(m.Key) {
		return errors.New("CR, LF or NUL in i= or k=")
	}
	if m.Connection == nil && !sessionConnection {
		return errors.New("no c= line at session level or for the media")
	}
	return checkCommon(m.Connection, m.Bandwidths, m.Attributes)
}

func checkCommon(c *Connection, bs []Bandwidth, as []Attribute) error {
	if c != nil {
		if err := c.check(); err != nil {
			return fmt.Errorf("c=: %v", err)
		}
	}
	for _, b := range bs {
		if !isToken(b.Type) || b.Value > 1<<63-1 {
			return fmt.Errorf("bad b= type %q", b.Type)
		}
	}
	if len(as) > MaxAttributes {
		return fmt.Errorf("%d attributes", len(as))
	}
	for _, a := range as {
		if !isToken(a.Name) || !isText(a.Value) {
			return fmt.Errorf("bad attribute %q", a.Name)
		}
	}
	return nil
}

func checkTexts(what string, vals []string) error {
	for _, v := range vals {
		if !isByteString(v) {
			return fmt.Errorf("empty value or CR, LF or NUL in %s", what)
		}
	}
	return nil
}
