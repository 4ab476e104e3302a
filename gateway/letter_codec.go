package gateway

import (
	"errors"
	"fmt"
	"time"

	"github.com/iwf-gateway/iwf/cpm"
	"github.com/iwf-gateway/iwf/translate"
)

// letterKind says what a letter asks of the owner of its partition.
type letterKind uint8

const (
	letterCreate    letterKind = 1 // create new entries (a creation)
	letterReceipt   letterKind = 2 // an SMSC delivery receipt on an entry
	letterReport    letterKind = 3 // a final MM7 or IMPS delivery report on an entry
	letterReadReply letterKind = 4 // an MM7 read reply on an entry
	letterReplay    letterKind = 5 // an operator's replay of an entry, on route (empty: its own)
)

func (k letterKind) String() string {
	switch k {
	case letterCreate:
		return "create"
	case letterReceipt:
		return "receipt"
	case letterReport:
		return "report"
	case letterReadReply:
		return "read-reply"
	case letterReplay:
		return "replay"
	}
	return "unknown"
}

// letterVersion is the letter format written and read.
const letterVersion = 1

// Bounds of a letter: a creation holds the copies of one input for one
// partition, each entry a few refs.
const (
	maxLetterItems = maxRecipients
	maxLetterRefs  = 16
)

// errBadLetter: a letter this version cannot read or act on.
var errBadLetter = errors.New("gateway: bad letter")

// letter is the payload of a journal.Letter.
type letter struct {
	kind   letterKind
	create creation // letterCreate

	// Reports: the route the report came on and the entry it is on.
	route  string
	seq    uint64
	id     string     // receipt: the receipt id form that matched; read reply: the relay's message id
	status cpm.Status // receipt, report: the IMDN status
	stat   string     // receipt: stat:
	errs   string     // receipt: err:
	reason string     // report
}

// receipt rebuilds what settle reads of the receipt a letter carries.
func (l *letter) receipt() translate.Receipt {
	return translate.Receipt{MessageID: l.id, Final: true, State: l.status, Stat: l.stat, Err: l.errs}
}

// encodeLetter writes l. Strings and byte strings are uvarint
// length-prefixed, numbers uvarints:
//
//	version(1) kind(1) body
//	create:     letterID once window(ns) n { nrefs ref... item } x n
//	receipt:    route seq id status stat err
//	report:     route seq status reason
//	read reply, replay: route seq id
//
// item is an entry's payload (item.marshal; the Data and Tail of the
// entry the source built, which are the same bytes).
func encodeLetter(l *letter) ([]byte, error) {
	w := recordWriter{}
	w.byte(letterVersion)
	w.byte(uint8(l.kind))
	switch l.kind {
	case letterCreate:
		c := &l.create
		if len(c.items) == 0 || len(c.items) > maxLetterItems || len(c.refs) > len(c.items) {
			return nil, fmt.Errorf("%w: %d items", errBadLetter, len(c.items))
		}
		w.string(c.letterID)
		w.string(c.once)
		w.uvarint(uint64(max(c.window, 0)))
		w.uvarint(uint64(len(c.items)))
		for i, it := range c.items {
			refs := c.refsOf(i)
			if len(refs) > maxLetterRefs {
				return nil, fmt.Errorf("%w: %d refs", errBadLetter, len(refs))
			}
			w.uvarint(uint64(len(refs)))
			for _, r := range refs {
				w.string(r)
			}
			if i < len(c.entries) {
				w.joined(c.entries[i].Data, c.entries[i].Tail) // the item's payload, as marshal writes it
			} else {
				w.bytes(it.marshal())
			}
		}
	case letterReceipt:
		w.string(l.route)
		w.uvarint(l.seq)
		w.string(l.id)
		w.string(string(l.status))
		w.string(l.stat)
		w.string(l.errs)
	case letterReport:
		w.string(l.route)
		w.uvarint(l.seq)
		w.string(string(l.status))
		w.string(l.reason)
	case letterReadReply, letterReplay:
		w.string(l.route)
		w.uvarint(l.seq)
		w.string(l.id)
	default:
		return nil, fmt.Errorf("%w: kind %d", errBadLetter, l.kind)
	}
	return w.b, nil
}

// decodeLetter reads what encodeLetter wrote, checking every bound; the
// error wraps errBadLetter.
func decodeLetter(b []byte) (*letter, error) {
	r := recordReader{b: b}
	if v := r.byte(); r.err == nil && v != letterVersion {
		return nil, fmt.Errorf("%w: version %d", errBadLetter, v)
	}
	l := &letter{kind: letterKind(r.byte())}
	switch l.kind {
	case letterCreate:
		if err := readCreation(&r, &l.create); err != nil {
			return nil, err
		}
	case letterReceipt:
		l.route, l.seq, l.id = r.string(), r.uvarint(), r.string()
		l.status, l.stat, l.errs = cpm.Status(r.string()), r.string(), r.string()
	case letterReport:
		l.route, l.seq = r.string(), r.uvarint()
		l.status, l.reason = cpm.Status(r.string()), r.string()
	case letterReadReply, letterReplay:
		l.route, l.seq, l.id = r.string(), r.uvarint(), r.string()
	default:
		if r.err == nil {
			return nil, fmt.Errorf("%w: kind %d", errBadLetter, l.kind)
		}
	}
	switch {
	case r.err != nil:
		return nil, fmt.Errorf("%w: %v", errBadLetter, r.err)
	case len(r.b) != 0:
		return nil, fmt.Errorf("%w: %d bytes after the end", errBadLetter, len(r.b))
	case l.kind != letterCreate && l.seq == 0:
		return nil, fmt.Errorf("%w: report on entry 0", errBadLetter)
	}
	return l, nil
}

func readCreation(r *recordReader, c *creation) error {
	c.letterID = r.string()
	c.once = r.string()
	window := r.uvarint()
	n := r.uvarint()
	if r.err != nil {
		return fmt.Errorf("%w: %v", errBadLetter, r.err)
	}
	if window > 1<<62 || n == 0 || n > maxLetterItems {
		return fmt.Errorf("%w: window %d, %d items", errBadLetter, window, n)
	}
	c.window = time.Duration(window)
	c.items, c.refs = make([]*item, n), make([][]string, n)
	for i := range c.items {
		nrefs := r.uvarint()
		if nrefs > maxLetterRefs {
			return fmt.Errorf("%w: %d refs", errBadLetter, nrefs)
		}
		for j := uint64(0); j < nrefs && r.err == nil; j++ {
			c.refs[i] = append(c.refs[i], r.string())
		}
		data := r.bytes()
		if r.err != nil {
			return fmt.Errorf("%w: %v", errBadLetter, r.err)
		}
		it, err := unmarshalItem(0, data)
		if err != nil {
			return fmt.Errorf("%w: item %d: %v", errBadLetter, i, err)
		}
		if it.kind != kindMessage && it.kind != kindFragment {
			return fmt.Errorf("%w: item %d is a %s", errBadLetter, i, it.kind)
		}
		c.items[i] = it
	}
	return nil
}
