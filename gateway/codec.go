package gateway

import (
	"encoding/binary"
	"errors"
	"math"
	"time"

	"github.com/iwf-gateway/iwf/cpm"
)

// errCorrupt reports a journal payload this version cannot read.
var errCorrupt = errors.New("gateway: corrupt journal record")

// recordWriter appends length-prefixed fields to a buffer. Records are
// private to the gateway and versioned by their first byte.
type recordWriter struct{ b []byte }

func (w *recordWriter) uvarint(v uint64) { w.b = binary.AppendUvarint(w.b, v) }
func (w *recordWriter) byte(v uint8)     { w.b = append(w.b, v) }
func (w *recordWriter) bytes(v []byte)   { w.uvarint(uint64(len(v))); w.b = append(w.b, v...) }
func (w *recordWriter) string(v string)  { w.uvarint(uint64(len(v))); w.b = append(w.b, v...) }

// joined writes head and tail as one byte string: what bytes writes of
// their concatenation, without making it.
func (w *recordWriter) joined(head, tail []byte) {
	w.uvarint(uint64(len(head) + len(tail)))
	w.b = append(append(w.b, head...), tail...)
}
func (w *recordWriter) time(t time.Time) {
	if t.IsZero() {
		w.b = binary.AppendVarint(w.b, math.MinInt64)
		return
	}
	w.b = binary.AppendVarint(w.b, t.UnixNano())
}

// recordReader reads what recordWriter wrote; the first error sticks.
type recordReader struct {
	b   []byte
	err error
}

func (r *recordReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errCorrupt
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *recordReader) byte() uint8 {
	if r.err != nil || len(r.b) == 0 {
		r.err = errCorrupt
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *recordReader) bytes() []byte {
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.b)) {
		r.err = errCorrupt
		return nil
	}
	v := make([]byte, n)
	copy(v, r.b[:n])
	r.b = r.b[n:]
	return v
}

// bodies reads the bodies of parts, of the given sizes, which are the
// rest of the record: a byte more or less is corrupt.
func (r *recordReader) bodies(parts []cpm.Part, sizes []uint64) {
	if r.err != nil {
		return
	}
	total := uint64(0)
	for _, n := range sizes {
		total += n
		if n > uint64(len(r.b)) || total > uint64(len(r.b)) {
			r.err = errCorrupt
			return
		}
	}
	if total != uint64(len(r.b)) || len(sizes) != len(parts) {
		r.err = errCorrupt
		return
	}
	for i, n := range sizes {
		parts[i].Body = append([]byte(nil), r.b[:n]...)
		r.b = r.b[n:]
	}
}

func (r *recordReader) string() string {
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.b)) {
		r.err = errCorrupt
		return ""
	}
	v := string(r.b[:n])
	r.b = r.b[n:]
	return v
}

func (r *recordReader) time() time.Time {
	if r.err != nil {
		return time.Time{}
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errCorrupt
		return time.Time{}
	}
	r.b = r.b[n:]
	if v == math.MinInt64 {
		return time.Time{}
	}
	return time.Unix(0, v).UTC()
}
