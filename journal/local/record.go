package local

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/iwf-gateway/iwf/journal"
)

// A record is one stored entry, version 1:
//
//	 0         1          9       10     11         19            27       28
//	+---------+----------+-------+------+----------+-------------+--------+------------------------+------+
//	| version | seq      | state | kind | time     | state time  | nrefs  | nrefs x (len u16, ref) | data |
//	| 0x01    | u64 BE   | u8    | u8   | i64 BE   | i64 BE      | u8     |                        | rest |
//	+---------+----------+-------+------+----------+-------------+--------+------------------------+------+
//
// time is Entry.Time and state time the moment the entry entered its
// current state, both unix nanoseconds. Put encodes a record with seq and
// times as the caller gave them; the writer patches them in place before
// storing, which is why their offsets are fixed.
const (
	recordVersion   = 1
	offSeq          = 1
	offState        = 9
	offKind         = 10
	offTime         = 11
	offStateTime    = 19
	offRefs         = 27
	recordHeaderLen = 28
)

// recordHeader is the fixed part of a record plus its refs, as read from
// the store.
type recordHeader struct {
	seq       uint64
	state     journal.State
	kind      uint8
	time      int64
	stateTime int64
	refs      [][]byte // slices of the record
	dataOff   int
}

// checkEntry reports why e cannot be stored, or "" when it can.
func checkEntry(e *journal.Entry) (reason string, err error) {
	reason, tooLarge := journal.EntryProblem(e)
	switch {
	case reason == "":
		return "", nil
	case tooLarge:
		return reason, ErrTooLarge
	}
	return reason, ErrInvalidEntry
}

// encodeHead appends the record of e (which checkEntry accepted) without
// its payload: the fixed fields and the refs. A zero e.Time is stored as
// 0 for the writer to patch; the writer stores the payload after it.
func encodeHead(dst []byte, e *journal.Entry) []byte {
	var t int64
	if !e.Time.IsZero() {
		t = e.Time.UnixNano()
	}
	dst = append(dst, recordVersion)
	dst = binary.BigEndian.AppendUint64(dst, e.Seq)
	dst = append(dst, byte(e.State), e.Kind)
	dst = binary.BigEndian.AppendUint64(dst, uint64(t))
	dst = binary.BigEndian.AppendUint64(dst, 0)
	dst = append(dst, byte(len(e.Refs)))
	for _, r := range e.Refs {
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(r)))
		dst = append(dst, r...)
	}
	return dst
}

// headLen is the encoded size of e without its data.
func headLen(e *journal.Entry) int {
	n := recordHeaderLen
	for _, r := range e.Refs {
		n += 2 + len(r)
	}
	return n
}

// parseRecordHeader reads the fixed fields and refs of rec without
// copying; the result aliases rec.
func parseRecordHeader(rec []byte) (recordHeader, error) {
	var h recordHeader
	if len(rec) < recordHeaderLen {
		return h, fmt.Errorf("%w: %d bytes", ErrCorrupt, len(rec))
	}
	if rec[0] != recordVersion {
		return h, fmt.Errorf("%w: version %d", ErrCorrupt, rec[0])
	}
	h.seq = binary.BigEndian.Uint64(rec[offSeq:])
	h.state = journal.State(rec[offState])
	h.kind = rec[offKind]
	h.time = int64(binary.BigEndian.Uint64(rec[offTime:]))
	h.stateTime = int64(binary.BigEndian.Uint64(rec[offStateTime:]))
	if h.state < journal.Open || h.state > journal.Dead {
		return h, fmt.Errorf("%w: state %d", ErrCorrupt, h.state)
	}
	n := int(rec[offRefs])
	if n > MaxRefs {
		return h, fmt.Errorf("%w: %d refs", ErrCorrupt, n)
	}
	off := recordHeaderLen
	for range n {
		if len(rec)-off < 2 {
			return h, fmt.Errorf("%w: truncated ref length", ErrCorrupt)
		}
		l := int(binary.BigEndian.Uint16(rec[off:]))
		off += 2
		if l == 0 || l > MaxRefSize || len(rec)-off < l {
			return h, fmt.Errorf("%w: ref of %d bytes", ErrCorrupt, l)
		}
		h.refs = append(h.refs, rec[off:off+l])
		off += l
	}
	if len(rec)-off > MaxDataSize {
		return h, fmt.Errorf("%w: data of %d bytes", ErrCorrupt, len(rec)-off)
	}
	h.dataOff = off
	return h, nil
}

// decodeRecord returns the entry in rec, copying everything out of rec
// (which may be bbolt's memory map).
func decodeRecord(rec []byte) (journal.Entry, error) {
	h, err := parseRecordHeader(rec)
	if err != nil {
		return journal.Entry{}, err
	}
	e := journal.Entry{
		Seq:   h.seq,
		State: h.state,
		Kind:  h.kind,
		Time:  time.Unix(0, h.time).UTC(),
	}
	if len(h.refs) > 0 {
		e.Refs = make([]string, len(h.refs))
		for i, r := range h.refs {
			e.Refs[i] = string(r)
		}
	}
	if d := rec[h.dataOff:]; len(d) > 0 {
		e.Data = append([]byte(nil), d...)
	}
	return e, nil
}

// seqKey is the 8-byte big-endian key of seq.
func seqKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), seq)
}

// doneKey is the key of seq in the done index: doneAt|seq.
func doneKey(doneAt int64, seq uint64) []byte {
	k := make([]byte, 0, 16)
	k = binary.BigEndian.AppendUint64(k, uint64(doneAt))
	return binary.BigEndian.AppendUint64(k, seq)
}
