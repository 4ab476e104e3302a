package wv

import "strings"

// The direct decoder reads the documents of the gateway's hot path
// (SendMessage-Request, SendMessage-Response and Status transactions)
// without encoding/xml, in one pass over the bytes. It knows one narrow
// form of XML, the form Encode writes and most servers send:
//
//   - an optional declaration <?xml version="1.0"?>, with or without
//     encoding="UTF-8", at the very start;
//   - start tags without attributes, except xmlns="..." naming a known
//     namespace on WV-CSP-Message and on TransactionContent; no
//     prefixes, no empty-element tags (<X/>), end tags without spaces;
//   - nothing but white space between elements; no comments, processing
//     instructions, CDATA sections or declarations;
//   - text in leaf elements and ClientID only, with the five predefined
//     entities and character references, and without a raw '>' or
//     carriage return;
//   - each element it models, and no other; a child that is not a list
//     at most once.
//
// On anything else it gives up (ok false) and Decode starts over with
// encoding/xml, which then decides: every error, every limit exceeded and
// every unusual construct is handled by that one parser. What the direct
// decoder accepts, it decodes to exactly what encoding/xml would
// (FuzzDirectDecode holds it to that).

// directDecoder is the state of one direct decode.
type directDecoder struct {
	in       []byte
	pos      int
	depth    int // of the element open, the root being 1
	elements int
	limits   Limits // with defaults
	scratch  []byte // text with references, decoded
}

// decodeDirect parses data as Decode does, or reports false when data is
// not in the form the direct decoder knows.
func decodeDirect(data []byte, l Limits) (xmlSession, Version, bool) {
	d := directDecoder{in: data, limits: l}
	d.declaration()
	d.space()
	ns, ok := d.root()
	if !ok {
		return xmlSession{}, 0, false
	}
	v, ok := versionOfCSP(ns)
	if !ok {
		return xmlSession{}, 0, false
	}
	var s xmlSession
	var seen fieldSet
	ok = d.children("WV-CSP-Message", func(name []byte) bool {
		return string(name) == "Session" && seen.first(0) && d.session(&s, ns)
	})
	d.space()
	if !ok || !seen.has(0) || d.pos != len(d.in) {
		return xmlSession{}, 0, false
	}
	return s, v, true
}

// declaration skips the XML declarations the direct decoder knows.
func (d *directDecoder) declaration() {
	for _, decl := range [...]string{
		`<?xml version="1.0" encoding="UTF-8"?>`,
		`<?xml version="1.0" encoding="utf-8"?>`,
		`<?xml version="1.0"?>`,
	} {
		if d.skip(decl) {
			return
		}
	}
}

// root reads the start tag of WV-CSP-Message and returns its namespace.
func (d *directDecoder) root() (string, bool) {
	if !d.skip("<") {
		return "", false
	}
	name, ns, ok := d.startTag()
	if !ok || ns == "" || string(name) != "WV-CSP-Message" {
		return "", false
	}
	return ns, true
}

// children reads the children of the open element parent, each handed by
// name (its start tag read) to read, and parent's end tag.
func (d *directDecoder) children(parent string, read func(name []byte) bool) bool {
	for {
		name, end, ok := d.next(parent)
		switch {
		case !ok:
			return false
		case end:
			return true
		case !read(name):
			return false
		}
	}
}

func (d *directDecoder) session(s *xmlSession, rootNS string) bool {
	var seen fieldSet
	return d.children("Session", func(name []byte) bool {
		switch string(name) {
		case "SessionDescriptor":
			return seen.first(0) && d.sessionDescriptor(&s.Descriptor)
		case "Transaction":
			if len(s.Transactions) == d.limits.MaxTransactions {
				return false // too many: encoding/xml reports it
			}
			s.Transactions = append(s.Transactions, xmlTransaction{})
			return d.transaction(&s.Transactions[len(s.Transactions)-1], rootNS)
		}
		return false
	}) && seen.has(0)
}

func (d *directDecoder) sessionDescriptor(sd *SessionDescriptor) bool {
	var seen fieldSet
	return d.children("SessionDescriptor", func(name []byte) bool {
		switch string(name) {
		case "SessionType":
			return seen.first(0) && d.string("SessionType", &sd.SessionType)
		case "SessionID":
			return seen.first(1) && d.string("SessionID", &sd.SessionID)
		}
		return false
	})
}

// transaction reads Transaction, whose TransactionContent alone may name
// a namespace: as the token guard requires, the root's (also inherited
// when there is no xmlns) or a known TRC namespace.
func (d *directDecoder) transaction(t *xmlTransaction, rootNS string) bool {
	var seen fieldSet
	for {
		name, ns, end, ok := d.child("Transaction")
		switch {
		case !ok:
			return false
		case end:
			return true
		case string(name) == "TransactionDescriptor":
			ok = ns == "" && seen.first(0) && d.transactionDescriptor(&t.Descriptor)
		case string(name) == "TransactionContent":
			ok = (ns == "" || ns == rootNS || knownTRC(ns)) && seen.first(1) && d.transactionContent(&t.Content)
		default:
			ok = false
		}
		if !ok {
			return false
		}
	}
}

func (d *directDecoder) transactionDescriptor(td *TransactionDescriptor) bool {
	var seen fieldSet
	return d.children("TransactionDescriptor", func(name []byte) bool {
		switch string(name) {
		case "TransactionMode":
			return seen.first(0) && d.string("TransactionMode", &td.TransactionMode)
		case "TransactionID":
			return seen.first(1) && d.string("TransactionID", &td.TransactionID)
		case "Poll":
			td.Poll = new(Bool)
			return seen.first(2) && d.bool("Poll", td.Poll)
		}
		return false
	})
}

// transactionContent reads the one primitive of TransactionContent, if
// it is one the direct decoder knows.
func (d *directDecoder) transactionContent(c *xmlContent) bool {
	return d.children("TransactionContent", func(name []byte) bool {
		if c.primitive != nil {
			return false // a second primitive: encoding/xml refuses it
		}
		switch string(name) {
		case "SendMessage-Request":
			p := new(SendMessageRequest)
			c.primitive = p
			return d.sendMessageRequest(p)
		case "SendMessage-Response":
			p := new(SendMessageResponse)
			c.primitive = p
			return d.sendMessageResponse(p)
		case "Status":
			p := new(Status)
			c.primitive = p
			return d.status(p)
		}
		return false
	}) && c.primitive != nil
}

func (d *directDecoder) sendMessageRequest(p *SendMessageRequest) bool {
	var seen fieldSet
	return d.children("SendMessage-Request", func(name []byte) bool {
		switch string(name) {
		case "DeliveryReport":
			return seen.first(0) && d.bool("DeliveryReport", &p.DeliveryReport)
		case "MessageInfo":
			return seen.first(1) && d.messageInfo(&p.MessageInfo)
		case "ContentData":
			return seen.first(2) && d.string("ContentData", &p.ContentData)
		}
		return false
	})
}

func (d *directDecoder) sendMessageResponse(p *SendMessageResponse) bool {
	var seen fieldSet
	return d.children("SendMessage-Response", func(name []byte) bool {
		switch string(name) {
		case "Result":
			return seen.first(0) && d.result(&p.Result)
		case "MessageID":
			return seen.first(1) && d.string("MessageID", &p.MessageID)
		}
		return false
	})
}

func (d *directDecoder) status(p *Status) bool {
	var seen fieldSet
	return d.children("Status", func(name []byte) bool {
		switch string(name) {
		case "Result":
			return seen.first(0) && d.result(&p.Result)
		case "ClientID":
			p.ClientID = new(ClientID)
			return seen.first(1) && d.clientID(p.ClientID)
		}
		return false
	})
}

func (d *directDecoder) result(r *Result) bool {
	var seen fieldSet
	return d.children("Result", func(name []byte) bool {
		switch string(name) {
		case "Code":
			return seen.first(0) && d.int("Code", &r.Code)
		case "Description":
			return seen.first(1) && d.string("Description", &r.Description)
		case "DetailedResult":
			r.DetailedResults = append(r.DetailedResults, DetailedResult{})
			return d.detailedResult(&r.DetailedResults[len(r.DetailedResults)-1])
		}
		return false
	})
}

func (d *directDecoder) detailedResult(r *DetailedResult) bool {
	var seen fieldSet
	return d.children("DetailedResult", func(name []byte) bool {
		switch string(name) {
		case "Code":
			return seen.first(0) && d.int("Code", &r.Code)
		case "Description":
			return seen.first(1) && d.string("Description", &r.Description)
		case "UserID":
			return d.appendString("UserID", &r.UserIDs)
		case "GroupID":
			return d.appendString("GroupID", &r.GroupIDs)
		case "ScreenName":
			r.ScreenNames = append(r.ScreenNames, ScreenName{})
			return d.screenName(&r.ScreenNames[len(r.ScreenNames)-1])
		case "MessageID":
			return d.appendString("MessageID", &r.MessageIDs)
		}
		return false
	})
}

func (d *directDecoder) messageInfo(mi *MessageInfo) bool {
	var seen fieldSet
	return d.children("MessageInfo", func(name []byte) bool {
		switch string(name) {
		case "MessageID":
			return seen.first(0) && d.string("MessageID", &mi.MessageID)
		case "MessageURI":
			return seen.first(1) && d.string("MessageURI", &mi.MessageURI)
		case "ContentType":
			return seen.first(2) && d.string("ContentType", &mi.ContentType)
		case "ContentEncoding":
			return seen.first(3) && d.string("ContentEncoding", &mi.ContentEncoding)
		case "ContentSize":
			return seen.first(4) && d.uint32("ContentSize", &mi.ContentSize)
		case "Recipient":
			return seen.first(5) && d.recipient(&mi.Recipient)
		case "Sender":
			return seen.first(6) && d.sender(&mi.Sender)
		case "DateTime":
			return seen.first(7) && d.string("DateTime", &mi.DateTime)
		case "Validity":
			return seen.first(8) && d.uint32("Validity", &mi.Validity)
		}
		return false
	})
}

func (d *directDecoder) recipient(r *Recipient) bool {
	return d.children("Recipient", func(name []byte) bool {
		switch string(name) {
		case "User":
			r.Users = append(r.Users, User{})
			return d.user(&r.Users[len(r.Users)-1])
		case "Group":
			r.Groups = append(r.Groups, Group{})
			return d.group(&r.Groups[len(r.Groups)-1])
		case "ContactList":
			return d.appendString("ContactList", &r.ContactLists)
		}
		return false
	})
}

func (d *directDecoder) sender(s *Sender) bool {
	var seen fieldSet
	return d.children("Sender", func(name []byte) bool {
		switch string(name) {
		case "User":
			s.User = new(User)
			return seen.first(0) && d.user(s.User)
		case "Group":
			s.Group = new(Group)
			return seen.first(1) && d.group(s.Group)
		}
		return false
	})
}

func (d *directDecoder) user(u *User) bool {
	var seen fieldSet
	return d.children("User", func(name []byte) bool {
		switch string(name) {
		case "UserID":
			return seen.first(0) && d.string("UserID", &u.UserID)
		case "ClientID":
			u.ClientID = new(ClientID)
			return seen.first(1) && d.clientID(u.ClientID)
		}
		return false
	})
}

func (d *directDecoder) group(g *Group) bool {
	var seen fieldSet
	return d.children("Group", func(name []byte) bool {
		switch string(name) {
		case "GroupID":
			return seen.first(0) && d.string("GroupID", &g.GroupID)
		case "ScreenName":
			g.ScreenName = new(ScreenName)
			return seen.first(1) && d.screenName(g.ScreenName)
		}
		return false
	})
}

func (d *directDecoder) screenName(s *ScreenName) bool {
	var seen fieldSet
	return d.children("ScreenName", func(name []byte) bool {
		switch string(name) {
		case "SName":
			return seen.first(0) && d.string("SName", &s.SName)
		case "GroupID":
			return seen.first(1) && d.string("GroupID", &s.GroupID)
		}
		return false
	})
}

// clientID reads ClientID, whose own text (Text) may surround its
// children: as encoding/xml does, the pieces are joined, and as
// ClientID.UnmarshalXML does, text of white space only is dropped.
func (d *directDecoder) clientID(c *ClientID) bool {
	var seen fieldSet
	var text []byte
	for {
		t, ok := d.chardata()
		if !ok {
			return false
		}
		text = append(text, t...)
		name, end, ok := d.next("ClientID")
		switch {
		case !ok:
			return false
		case end:
			if s := string(text); strings.TrimSpace(s) != "" {
				c.Text = s
			}
			return true
		case string(name) == "URL":
			ok = seen.first(0) && d.string("URL", &c.URL)
		case string(name) == "MSISDN":
			ok = seen.first(1) && d.string("MSISDN", &c.MSISDN)
		default:
			ok = false
		}
		if !ok {
			return false
		}
	}
}
