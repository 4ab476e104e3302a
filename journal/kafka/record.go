package kafka

import (
	"encoding/binary"
	"fmt"

	"github.com/iwf-gateway/iwf/journal"
)

// A put record is the value of one Kafka record of the journal topic: all
// entries of one Put, so that a Put is atomic by construction. Version 1,
// all integers big-endian:
//
//	 0         1       2          10      12
//	+---------+-------+----------+-------+-----------------+
//	| version | flags | writer   | count | count x entry   |
//	| 0x01    | 0x00  | u64      | u16   |                 |
//	+---------+-------+----------+-------+-----------------+
//
//	entry:
//	 0      8         16      17      18     19     27          35      36
//	+------+---------+-------+-------+------+------+-----------+-------+-----------------------------------+----------+------+
//	| seq  | version | flags | state | kind | time | state     | nrefs | nrefs x (len u16, ref, stamp u64) | data len | data |
//	| u64  | u64     | 0x00  | u8    | u8   | i64  | time i64  | u8    |                                   | u32      |      |
//	+------+---------+-------+-------+------+------+-----------+-------+-----------------------------------+----------+------+
//
// writer is the random id of the instance that produced the record.
// version is the tick of this version of the entry: of two versions the
// higher tick wins, whatever order they are read in. Every version carries
// the whole entry, its refs included (the writer carries over the refs
// named before and still bound to it), so the latest version alone
// rebuilds the entry. A ref's stamp is the version tick at which this
// entry named it. time and state time (when the entry entered its state)
// are unix nanoseconds. The flags bytes are reserved and zero.
//
// The key of a refs-topic record is the ref; its value is a binding (or
// nil, a tombstone, when the entry is purged):
//
//	+---------+------+-------+
//	| version | seq  | stamp |
//	| 0x01    | u64  | u64   |
//	+---------+------+-------+
const (
	recordVersion   = 1
	recordHeaderLen = 12
	entryFixedLen   = 36
	entryDataLenLen = 4
	refOverhead     = 2 + 8
	bindingVersion  = 1
	bindingLen      = 17
)

// boundRef is a ref and the version tick at which its entry named it.
type boundRef struct {
	ref   string
	stamp uint64
}

// recordEntry is one entry version as a record carries it.
type recordEntry struct {
	seq, version    uint64
	state           journal.State
	kind            uint8
	time, stateTime int64
	refs            []boundRef
	data            []byte
}

// putRecord is the decoded value of a journal-topic record.
type putRecord struct {
	writer  uint64
	entries []recordEntry
}

// checkPartitionOf reports an entry of r whose Seq names a partition
// other than p, the partition r was read from: the record is corrupt.
func (r *putRecord) checkPartitionOf(p int) error {
	for i := range r.entries {
		if q := partitionOf(r.entries[i].seq); q != p {
			return fmt.Errorf("%w: entry of partition %d", ErrCorrupt, q)
		}
	}
	return nil
}

// entrySize is the encoded size of e.
func entrySize(e *recordEntry) int {
	n := entryFixedLen + entryDataLenLen + len(e.data)
	for _, r := range e.refs {
		n += refOverhead + len(r.ref)
	}
	return n
}

// recordSize is the encoded size of r.
func recordSize(r *putRecord) int {
	n := recordHeaderLen
	for i := range r.entries {
		n += entrySize(&r.entries[i])
	}
	return n
}

// appendRecord appends the encoding of r to dst. r must respect the
// bounds decodeRecord checks.
func appendRecord(dst []byte, r *putRecord) []byte {
	dst = append(dst, recordVersion, 0)
	dst = binary.BigEndian.AppendUint64(dst, r.writer)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(r.entries)))
	for i := range r.entries {
		dst = appendEntry(dst, &r.entries[i])
	}
	return dst
}

func appendEntry(dst []byte, e *recordEntry) []byte {
	dst = binary.BigEndian.AppendUint64(dst, e.seq)
	dst = binary.BigEndian.AppendUint64(dst, e.version)
	dst = append(dst, 0, byte(e.state), e.kind)
	dst = binary.BigEndian.AppendUint64(dst, uint64(e.time))
	dst = binary.BigEndian.AppendUint64(dst, uint64(e.stateTime))
	dst = append(dst, byte(len(e.refs)))
	for _, r := range e.refs {
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(r.ref)))
		dst = append(dst, r.ref...)
		dst = binary.BigEndian.AppendUint64(dst, r.stamp)
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(e.data)))
	return append(dst, e.data...)
}

// decodeRecord decodes a journal-topic record value. The result shares no
// memory with b.
func decodeRecord(b []byte) (putRecord, error) {
	var r putRecord
	if len(b) < recordHeaderLen {
		return r, fmt.Errorf("%w: record of %d bytes", ErrCorrupt, len(b))
	}
	if b[0] != recordVersion || b[1] != 0 {
		return r, fmt.Errorf("%w: record version %d flags %#x", ErrCorrupt, b[0], b[1])
	}
	r.writer = binary.BigEndian.Uint64(b[2:])
	n := int(binary.BigEndian.Uint16(b[10:]))
	if n == 0 {
		return r, fmt.Errorf("%w: record without entries", ErrCorrupt)
	}
	d := decoder{b: b[recordHeaderLen:]}
	r.entries = make([]recordEntry, 0, min(n, len(d.b)/(entryFixedLen+entryDataLenLen)+1))
	for i := range n {
		e, err := d.entry()
		if err != nil {
			return putRecord{}, fmt.Errorf("entry %d: %w", i, err)
		}
		r.entries = append(r.entries, e)
	}
	if len(d.b) != 0 {
		return putRecord{}, fmt.Errorf("%w: %d bytes after the last entry", ErrCorrupt, len(d.b))
	}
	return r, nil
}

// decoder reads entries off the front of b.
type decoder struct{ b []byte }

func (d *decoder) entry() (recordEntry, error) {
	var e recordEntry
	if len(d.b) < entryFixedLen {
		return e, fmt.Errorf("%w: truncated entry", ErrCorrupt)
	}
	b := d.b
	e.seq = binary.BigEndian.Uint64(b)
	e.version = binary.BigEndian.Uint64(b[8:])
	flags := b[16]
	e.state = journal.State(b[17])
	e.kind = b[18]
	e.time = int64(binary.BigEndian.Uint64(b[19:]))
	e.stateTime = int64(binary.BigEndian.Uint64(b[27:]))
	nrefs := int(b[35])
	switch {
	case flags != 0:
		return e, fmt.Errorf("%w: entry flags %#x", ErrCorrupt, flags)
	case e.state < journal.Open || e.state > journal.Dead:
		return e, fmt.Errorf("%w: state %d", ErrCorrupt, e.state)
	case nrefs > MaxRefs:
		return e, fmt.Errorf("%w: %d refs", ErrCorrupt, nrefs)
	}
	d.b = b[entryFixedLen:]
	if err := d.refs(&e, nrefs); err != nil {
		return e, err
	}
	return e, d.data(&e)
}

func (d *decoder) refs(e *recordEntry, n int) error {
	if n > 0 {
		e.refs = make([]boundRef, 0, n)
	}
	for range n {
		if len(d.b) < 2 {
			return fmt.Errorf("%w: truncated ref length", ErrCorrupt)
		}
		l := int(binary.BigEndian.Uint16(d.b))
		if l == 0 || l > MaxRefSize || len(d.b) < 2+l+8 {
			return fmt.Errorf("%w: ref of %d bytes", ErrCorrupt, l)
		}
		e.refs = append(e.refs, boundRef{
			ref:   string(d.b[2 : 2+l]),
			stamp: binary.BigEndian.Uint64(d.b[2+l:]),
		})
		d.b = d.b[2+l+8:]
	}
	return nil
}

func (d *decoder) data(e *recordEntry) error {
	if len(d.b) < entryDataLenLen {
		return fmt.Errorf("%w: truncated data length", ErrCorrupt)
	}
	l := int(binary.BigEndian.Uint32(d.b))
	d.b = d.b[entryDataLenLen:]
	if l > MaxDataSize || l > len(d.b) {
		return fmt.Errorf("%w: data of %d bytes", ErrCorrupt, l)
	}
	if l > 0 {
		e.data = append([]byte(nil), d.b[:l]...)
	}
	d.b = d.b[l:]
	return nil
}

// binding is the entry a ref resolves to and the tick it was named at.
type binding struct {
	seq, stamp uint64
}

// appendBinding appends the refs-topic value of b to dst.
func appendBinding(dst []byte, b binding) []byte {
	dst = append(dst, bindingVersion)
	dst = binary.BigEndian.AppendUint64(dst, b.seq)
	return binary.BigEndian.AppendUint64(dst, b.stamp)
}

// decodeBinding decodes a refs-topic value that is not a tombstone.
func decodeBinding(v []byte) (binding, error) {
	if len(v) != bindingLen || v[0] != bindingVersion {
		return binding{}, fmt.Errorf("%w: binding of %d bytes", ErrCorrupt, len(v))
	}
	return binding{seq: binary.BigEndian.Uint64(v[1:]), stamp: binary.BigEndian.Uint64(v[9:])}, nil
}
