package wv

import (
	"strconv"
	"unicode/utf8"
)

// The direct encoder writes the documents of the gateway's hot path
// (SendMessage-Request out, SendMessage-Response and Status back) with
// appends instead of encoding/xml's reflection. Its output is byte for
// byte what encoding/xml writes for the same Message: the same element
// order (struct field order), the same omissions (omitempty, nil
// pointers, empty slices), empty elements written as a start and an end
// tag, and the same escapes (escapeText below). TestDirectEncodeMatches
// and FuzzDirectEncode hold it to that.

// directEncodable reports whether every primitive of m has a direct
// encoder.
func directEncodable(m Message) bool {
	for _, t := range m.Transactions {
		switch t.Primitive.(type) {
		case *SendMessageRequest, *SendMessageResponse, *Status:
		default:
			return false
		}
	}
	return true
}

// directEncoder appends one document to b. The first string that XML
// cannot carry is kept in bad (failed set): the first in the order
// validText would meet it, the order of the fields, which is the order
// they are written in.
type directEncoder struct {
	b      []byte
	bad    string
	failed bool
}

// encodeDirect writes m (directEncodable, structure already validated)
// in the namespaces csp and trc.
func encodeDirect(m Message, csp, trc string) ([]byte, error) {
	e := directEncoder{b: make([]byte, 0, documentSizeHint(m))}
	e.raw(xmlDeclaration)
	e.raw(`<WV-CSP-Message xmlns="`)
	e.raw(csp)
	e.raw(`"><Session><SessionDescriptor>`)
	e.text("SessionType", m.Session.SessionType)
	e.textOmitEmpty("SessionID", m.Session.SessionID)
	e.raw(`</SessionDescriptor>`)
	for _, t := range m.Transactions {
		e.raw(`<Transaction><TransactionDescriptor>`)
		e.text("TransactionMode", t.Descriptor.TransactionMode)
		e.textOmitEmpty("TransactionID", t.Descriptor.TransactionID)
		if t.Descriptor.Poll != nil {
			e.boolean("Poll", *t.Descriptor.Poll)
		}
		e.raw(`</TransactionDescriptor><TransactionContent xmlns="`)
		e.raw(trc)
		e.raw(`">`)
		e.primitive(t.Primitive)
		e.raw(`</TransactionContent></Transaction>`)
	}
	e.raw(`</Session></WV-CSP-Message>`)
	if e.failed {
		return nil, validString(e.bad)
	}
	return e.b, nil
}

// documentSizeHint is a capacity that holds most documents in one
// allocation: the fixed markup plus the text of the content.
func documentSizeHint(m Message) int {
	n := 320 + len(m.Session.SessionID)
	for _, t := range m.Transactions {
		n += 384 + len(t.Descriptor.TransactionID)
		if p, ok := t.Primitive.(*SendMessageRequest); ok {
			r := &p.MessageInfo.Recipient
			n += 384 + len(p.ContentData) + 96*(len(r.Users)+len(r.Groups)+len(r.ContactLists))
		}
	}
	return n
}

func (e *directEncoder) primitive(p Primitive) {
	switch p := p.(type) {
	case *SendMessageRequest:
		e.raw(`<SendMessage-Request>`)
		e.boolean("DeliveryReport", p.DeliveryReport)
		e.messageInfo(&p.MessageInfo)
		e.textOmitEmpty("ContentData", p.ContentData)
		e.raw(`</SendMessage-Request>`)
	case *SendMessageResponse:
		e.raw(`<SendMessage-Response>`)
		e.result(&p.Result)
		e.textOmitEmpty("MessageID", p.MessageID)
		e.raw(`</SendMessage-Response>`)
	case *Status:
		e.raw(`<Status>`)
		e.result(&p.Result)
		if p.ClientID != nil {
			e.clientID(p.ClientID)
		}
		e.raw(`</Status>`)
	}
}

func (e *directEncoder) messageInfo(mi *MessageInfo) {
	e.raw(`<MessageInfo>`)
	e.textOmitEmpty("MessageID", mi.MessageID)
	e.textOmitEmpty("MessageURI", mi.MessageURI)
	e.textOmitEmpty("ContentType", mi.ContentType)
	e.textOmitEmpty("ContentEncoding", mi.ContentEncoding)
	e.uint("ContentSize", mi.ContentSize)
	e.raw(`<Recipient>`)
	for i := range mi.Recipient.Users {
		e.user(&mi.Recipient.Users[i])
	}
	for i := range mi.Recipient.Groups {
		e.group(&mi.Recipient.Groups[i])
	}
	for _, c := range mi.Recipient.ContactLists {
		e.text("ContactList", c)
	}
	e.raw(`</Recipient><Sender>`)
	if mi.Sender.User != nil {
		e.user(mi.Sender.User)
	}
	if mi.Sender.Group != nil {
		e.group(mi.Sender.Group)
	}
	e.raw(`</Sender>`)
	e.textOmitEmpty("DateTime", mi.DateTime)
	if mi.Validity != 0 {
		e.uint("Validity", mi.Validity)
	}
	e.raw(`</MessageInfo>`)
}

func (e *directEncoder) user(u *User) {
	e.raw(`<User>`)
	e.text("UserID", u.UserID)
	if u.ClientID != nil {
		e.clientID(u.ClientID)
	}
	e.raw(`</User>`)
}

func (e *directEncoder) group(g *Group) {
	e.raw(`<Group>`)
	e.textOmitEmpty("GroupID", g.GroupID)
	if g.ScreenName != nil {
		e.screenName(g.ScreenName)
	}
	e.raw(`</Group>`)
}

func (e *directEncoder) screenName(s *ScreenName) {
	e.raw(`<ScreenName>`)
	e.text("SName", s.SName)
	e.text("GroupID", s.GroupID)
	e.raw(`</ScreenName>`)
}

// clientID writes ClientID: its character data first, then URL and
// MSISDN, as the fields are declared.
func (e *directEncoder) clientID(c *ClientID) {
	e.raw(`<ClientID>`)
	e.escaped(c.Text)
	e.textOmitEmpty("URL", c.URL)
	e.textOmitEmpty("MSISDN", c.MSISDN)
	e.raw(`</ClientID>`)
}

func (e *directEncoder) result(r *Result) {
	e.raw(`<Result>`)
	e.int("Code", r.Code)
	e.textOmitEmpty("Description", r.Description)
	for i := range r.DetailedResults {
		d := &r.DetailedResults[i]
		e.raw(`<DetailedResult>`)
		e.int("Code", d.Code)
		e.textOmitEmpty("Description", d.Description)
		for _, s := range d.UserIDs {
			e.text("UserID", s)
		}
		for _, s := range d.GroupIDs {
			e.text("GroupID", s)
		}
		for j := range d.ScreenNames {
			e.screenName(&d.ScreenNames[j])
		}
		for _, s := range d.MessageIDs {
			e.text("MessageID", s)
		}
		e.raw(`</DetailedResult>`)
	}
	e.raw(`</Result>`)
}

func (e *directEncoder) raw(s string) { e.b = append(e.b, s...) }

func (e *directEncoder) open(name string) {
	e.b = append(e.b, '<')
	e.b = append(e.b, name...)
	e.b = append(e.b, '>')
}

func (e *directEncoder) close(name string) {
	e.b = append(e.b, "</"...)
	e.b = append(e.b, name...)
	e.b = append(e.b, '>')
}

// text writes <name>s</name>, s escaped.
func (e *directEncoder) text(name, s string) {
	e.open(name)
	e.escaped(s)
	e.close(name)
}

// textOmitEmpty is text for an omitempty field: nothing when s is empty.
func (e *directEncoder) textOmitEmpty(name, s string) {
	if s != "" {
		e.text(name, s)
	}
}

func (e *directEncoder) int(name string, v int) {
	e.open(name)
	e.b = strconv.AppendInt(e.b, int64(v), 10)
	e.close(name)
}

func (e *directEncoder) uint(name string, v uint32) {
	e.open(name)
	e.b = strconv.AppendUint(e.b, uint64(v), 10)
	e.close(name)
}

func (e *directEncoder) boolean(name string, v Bool) {
	e.open(name)
	if v {
		e.b = append(e.b, 'T')
	} else {
		e.b = append(e.b, 'F')
	}
	e.close(name)
}

// escaped appends s escaped as encoding/xml escapes text: the five
// markup characters and tab, newline and carriage return as character
// references (" and ' numerically). A string XML cannot carry is
// recorded (the first one only) and written as it is: the document is
// discarded.
func (e *directEncoder) escaped(s string) {
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < utf8.RuneSelf && c != '"' && c != '\'' && c != '&' && c != '<' && c != '>' {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, width := utf8.DecodeRuneInString(s[i:])
			if (r == utf8.RuneError && width == 1) || !xmlChar(r) {
				e.invalid(s)
				return
			}
			i += width
			continue
		}
		var esc string
		switch c {
		case '"':
			esc = "&#34;"
		case '\'':
			esc = "&#39;"
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '\t':
			esc = "&#x9;"
		case '\n':
			esc = "&#xA;"
		case '\r':
			esc = "&#xD;"
		default: // another control character
			e.invalid(s)
			return
		}
		e.b = append(e.b, s[last:i]...)
		e.b = append(e.b, esc...)
		i++
		last = i
	}
	e.b = append(e.b, s[last:]...)
}

func (e *directEncoder) invalid(s string) {
	if !e.failed {
		e.bad, e.failed = s, true
	}
}
