package gateway

import (
	"time"

	"github.com/iwf-gateway/iwf/adapters/smpp"
	"github.com/iwf-gateway/iwf/cpm"
)

// kind is the journal.Entry.Kind of a gateway record.
type kind uint8

const (
	kindMessage  kind = 1 // a cpm.Message to deliver on a route
	kindReport   kind = 2 // a cpm.Report (IMDN) to deliver to a CPM user
	kindFragment kind = 3 // one segment of a concatenated MO SMS awaiting the rest
)

func (k kind) String() string {
	switch k {
	case kindMessage:
		return "message"
	case kindReport:
		return "report"
	case kindFragment:
		return "fragment"
	}
	return "unknown"
}

// partStatus is the state of one SMS segment of a message.
type partStatus uint8

const (
	partPending   partStatus = iota // not yet accepted by the SMSC
	partSubmitted                   // submit_sm_resp OK; awaiting a receipt if one was asked
	partDelivered                   // receipt DELIVRD
	partFailed                      // receipt UNDELIV, REJECTD, EXPIRED, DELETED, UNKNOWN
)

// smsPart is one submitted segment: the SMSC's message_id and its state.
type smsPart struct {
	id     string
	status partStatus
}

// outcome is how an item ended.
type outcome uint8

const (
	outcomeNone outcome = iota
	outcomeDelivered
	outcomeFailed
	outcomeExpired
	outcomeSubmitted // handed to the SMSC; no receipt was asked for
)

func (o outcome) String() string {
	switch o {
	case outcomeDelivered:
		return "delivered"
	case outcomeFailed:
		return "failed"
	case outcomeExpired:
		return "expired"
	case outcomeSubmitted:
		return "submitted"
	}
	return "pending"
}

// item is the payload of one journal entry.
type item struct {
	seq      uint64 // the entry's key; not part of the payload
	kind     kind
	route    string // route name: an SMSC name, or cpmRoute
	received time.Time
	attempts uint32
	due      time.Time // next delivery attempt; zero: now
	expiry   time.Time // after this the item fails as expired
	outcome  outcome
	reason   string // why the last attempt failed, or why the item ended

	msg      cpm.Message       // kindMessage
	report   cpm.Report        // kindReport
	fragment smpp.ShortMessage // kindFragment

	concatRef uint16    // the concatenation reference of its SMS segments
	parts     []smsPart // one per SMS segment, once submitted

	// origin is the network a message toward CPM users came from (sms,
	// mms, imps); empty for messages from CPM users.
	origin string
	// replayOf is the imdn.Message-ID of the message this one replays:
	// its reports name that id, which is the one the sender knows.
	replayOf string
}

// awaitingReceipts reports whether every part is submitted and at least one
// still waits for its receipt.
func (it *item) awaitingReceipts() bool {
	if len(it.parts) == 0 {
		return false
	}
	waiting := false
	for _, p := range it.parts {
		switch p.status {
		case partPending:
			return false
		case partSubmitted:
			waiting = true
		}
	}
	return waiting
}

// itemVersion is the payload format written; versions 1 (no origin and
// replayOf) and 2 (bodies inline) are still read. Version 3 keeps the
// bodies of a message's parts last, after every field that changes over
// the item's life: a later version of the entry then differs from the
// one stored only before its bodies, and the local journal writes only
// what changed (journal/local keeps big records in chunks counted from
// their end).
const itemVersion = 3

// tailBody is the size from which the body a message ends in is handed
// to the journal as the entry's Tail rather than copied into its Data.
const tailBody = 16 << 10

// payload returns the item's journal payload: data, and, when the item is
// a message whose last part's body is tailBody bytes or more, that body
// as tail, which follows data in the record (it is the record's end, see
// itemVersion) and reaches the journal without being copied.
func (it *item) payload() (data, tail []byte) {
	if it.kind == kindMessage && len(it.msg.Parts) > 0 {
		if last := it.msg.Parts[len(it.msg.Parts)-1].Body; len(last) >= tailBody {
			return it.encode(len(last)), last
		}
	}
	return it.encode(0), nil
}

// marshal returns the item's payload whole.
func (it *item) marshal() []byte { return it.encode(0) }

// encode writes the item, without the last omitTail bytes of the body of
// its message's last part (0: whole).
func (it *item) encode(omitTail int) []byte {
	w := recordWriter{b: make([]byte, 0, 256+it.msg.Size()+len(it.fragment.Message)-omitTail)}
	w.byte(itemVersion)
	w.byte(uint8(it.kind))
	w.string(it.route)
	w.time(it.received)
	w.uvarint(uint64(it.attempts))
	w.time(it.due)
	w.time(it.expiry)
	w.byte(uint8(it.outcome))
	w.string(it.reason)
	w.string(it.origin)
	w.string(it.replayOf)
	switch it.kind {
	case kindMessage:
		writeMessage(&w, &it.msg)
		w.uvarint(uint64(it.concatRef))
		w.uvarint(uint64(len(it.parts)))
		for _, p := range it.parts {
			w.string(p.id)
			w.byte(uint8(p.status))
		}
		for i, p := range it.msg.Parts {
			if i == len(it.msg.Parts)-1 {
				p.Body = p.Body[:len(p.Body)-omitTail]
			}
			w.b = append(w.b, p.Body...)
		}
	case kindReport:
		writeReport(&w, &it.report)
	case kindFragment:
		writeShortMessage(&w, &it.fragment)
	}
	return w.b
}

func unmarshalItem(seq uint64, b []byte) (*item, error) {
	r := recordReader{b: b}
	version := r.byte()
	if version < 1 || version > itemVersion {
		return nil, errCorrupt
	}
	it := &item{seq: seq}
	it.kind = kind(r.byte())
	it.route = r.string()
	it.received = r.time()
	it.attempts = uint32(r.uvarint())
	it.due = r.time()
	it.expiry = r.time()
	it.outcome = outcome(r.byte())
	it.reason = r.string()
	if version >= 2 {
		it.origin = r.string()
		it.replayOf = r.string()
	}
	switch it.kind {
	case kindMessage:
		bodiesLast := version >= 3
		bodySizes := readMessage(&r, &it.msg, bodiesLast)
		it.concatRef = uint16(r.uvarint())
		n := r.uvarint()
		if n > maxSegments {
			return nil, errCorrupt
		}
		for i := uint64(0); i < n && r.err == nil; i++ {
			it.parts = append(it.parts, smsPart{id: r.string(), status: partStatus(r.byte())})
		}
		if bodiesLast {
			r.bodies(it.msg.Parts, bodySizes)
		}
	case kindReport:
		readReport(&r, &it.report)
	case kindFragment:
		readShortMessage(&r, &it.fragment)
	default:
		return nil, errCorrupt
	}
	if r.err != nil {
		return nil, r.err
	}
	return it, nil
}

// maxSegments bounds the segments of one message (the UDH counter is one octet).
const maxSegments = 255

func writeMessage(w *recordWriter, m *cpm.Message) {
	w.string(m.ID)
	w.string(string(m.From))
	w.string(string(m.To))
	w.time(m.DateTime)
	w.string(m.Subject)
	w.byte(uint8(m.Notify))
	w.string(m.ConversationID)
	w.string(m.ContributionID)
	w.time(m.Expiry)
	w.uvarint(uint64(len(m.Parts)))
	for _, p := range m.Parts {
		w.string(p.ContentType)
		w.string(p.ContentID)
		w.string(p.Filename)
		w.uvarint(uint64(len(p.Body))) // the bytes follow at the end of the item
	}
}

// readMessage reads what writeMessage wrote. With bodiesLast (item
// version 3) a part's body is only its size, returned in bodySizes for
// recordReader.bodies; before, the body followed its part's fields.
func readMessage(r *recordReader, m *cpm.Message, bodiesLast bool) (bodySizes []uint64) {
	m.ID = r.string()
	m.From = cpm.Address(r.string())
	m.To = cpm.Address(r.string())
	m.DateTime = r.time()
	m.Subject = r.string()
	m.Notify = cpm.Disposition(r.byte())
	m.ConversationID = r.string()
	m.ContributionID = r.string()
	m.Expiry = r.time()
	n := r.uvarint()
	if n > 1024 {
		r.err = errCorrupt
		return nil
	}
	for i := uint64(0); i < n && r.err == nil; i++ {
		p := cpm.Part{ContentType: r.string(), ContentID: r.string(), Filename: r.string()}
		if bodiesLast {
			bodySizes = append(bodySizes, r.uvarint())
		} else {
			p.Body = r.bytes()
		}
		m.Parts = append(m.Parts, p)
	}
	return bodySizes
}

func writeReport(w *recordWriter, rp *cpm.Report) {
	w.string(rp.ID)
	w.string(rp.MessageID)
	w.string(string(rp.From))
	w.string(string(rp.To))
	w.string(string(rp.Status))
	if rp.Display {
		w.byte(1)
	} else {
		w.byte(0)
	}
	w.time(rp.DateTime)
	w.time(rp.OriginalDateTime)
}

func readReport(r *recordReader, rp *cpm.Report) {
	rp.ID = r.string()
	rp.MessageID = r.string()
	rp.From = cpm.Address(r.string())
	rp.To = cpm.Address(r.string())
	rp.Status = cpm.Status(r.string())
	rp.Display = r.byte() == 1
	rp.DateTime = r.time()
	rp.OriginalDateTime = r.time()
}

func writeShortMessage(w *recordWriter, sm *smpp.ShortMessage) {
	w.string(sm.ServiceType)
	for _, a := range []smpp.Address{sm.Source, sm.Dest} {
		w.string(a.Addr)
		w.byte(a.TON)
		w.byte(a.NPI)
	}
	w.byte(sm.ESMClass)
	w.byte(sm.ProtocolID)
	w.byte(sm.PriorityFlag)
	w.byte(sm.RegisteredDelivery)
	w.uvarint(uint64(sm.Validity))
	w.byte(sm.DataCoding)
	w.bytes(sm.Message)
	w.uvarint(uint64(len(sm.TLVs)))
	for _, t := range sm.TLVs {
		w.uvarint(uint64(t.Tag))
		w.bytes(t.Value)
	}
}

func readShortMessage(r *recordReader, sm *smpp.ShortMessage) {
	sm.ServiceType = r.string()
	for _, a := range []*smpp.Address{&sm.Source, &sm.Dest} {
		a.Addr = r.string()
		a.TON = r.byte()
		a.NPI = r.byte()
	}
	sm.ESMClass = r.byte()
	sm.ProtocolID = r.byte()
	sm.PriorityFlag = r.byte()
	sm.RegisteredDelivery = r.byte()
	sm.Validity = time.Duration(r.uvarint())
	sm.DataCoding = r.byte()
	sm.Message = r.bytes()
	n := r.uvarint()
	if n > 64 {
		r.err = errCorrupt
		return
	}
	for i := uint64(0); i < n && r.err == nil; i++ {
		sm.TLVs = append(sm.TLVs, smpp.TLV{Tag: uint16(r.uvarint()), Value: r.bytes()})
	}
}
