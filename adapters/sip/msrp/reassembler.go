package msrp

import (
	"bytes"
	"fmt"
	"sort"
)

// Reassembler rebuilds one message from its SEND chunks, which may arrive
// in any order, repeat, or overlap (RFC 4975 section 5.1). It holds at
// most Config.MaxMessageBytes and accepts at most Config.MaxChunks
// chunks. It never reads the clock: the caller drops a Reassembler that
// waited too long.
type Reassembler struct {
	cfg       Config
	messageID string
	total     int64  // message size, Unknown until a chunk tells
	buf       []byte // message bytes received so far, by position
	have      []span // received spans of buf, sorted and merged
	chunks    int
	aborted   bool
}

// span is the half-open byte interval [lo, hi) of a message.
type span struct{ lo, hi int64 }

// NewReassembler returns a Reassembler for the message messageID. A zero
// cfg means the defaults.
func NewReassembler(messageID string, cfg Config) *Reassembler {
	return &Reassembler{cfg: cfg.WithDefaults(), messageID: messageID, total: Unknown}
}

// Add takes one SEND chunk of the message and reports whether the message
// is now complete. A chunk with the '#' flag aborts the message: Add
// returns ErrAborted now and for every later call. A chunk that does not
// fit (another Message-ID, a range beyond the total, bytes that differ
// from ones already received) returns ErrChunkMismatch and changes
// nothing. A Byte-Range header absent means "1-*/*". A chunk whose body
// is shorter than its range was interrupted by the sender; its bytes
// count and the rest must come in a later chunk. The first chunk that
// states the total makes the Reassembler allocate it at once (at most
// MaxMessageBytes).
func (r *Reassembler) Add(f *Frame) (done bool, err error) {
	if r.aborted {
		return false, ErrAborted
	}
	if f.Method != MethodSEND || f.MessageID != r.messageID {
		return false, mismatch("chunk %s of message %q is not a SEND of %q", f.TransactionID, f.MessageID, r.messageID)
	}
	if f.Flag == FlagAbort {
		r.aborted, r.buf, r.have = true, nil, nil
		return false, ErrAborted
	}
	if r.chunks == r.cfg.MaxChunks {
		return false, fmt.Errorf("%w: more than %d chunks", ErrMessageTooLarge, r.cfg.MaxChunks)
	}
	lo, hi, total, err := r.place(f)
	if err != nil {
		return false, err
	}
	if err := r.checkOverlap(lo, f.Body); err != nil {
		return false, err
	}
	r.store(lo, hi, total, f.Body)
	r.chunks++
	return r.complete(), nil
}

func mismatch(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrChunkMismatch}, args...)...)
}

// place works out where f's body goes and what total it implies.
func (r *Reassembler) place(f *Frame) (lo, hi, total int64, err error) {
	br := ByteRange{Start: 1, End: Unknown, Total: Unknown}
	if f.ByteRange != nil {
		br = *f.ByteRange
	}
	lo, hi, total = br.Start-1, br.Start-1+int64(len(f.Body)), r.total
	if br.End != Unknown && hi > br.End {
		return 0, 0, 0, mismatch("chunk %s has %d body bytes for range %s", f.TransactionID, len(f.Body), br)
	}
	if br.Total != Unknown {
		if total != Unknown && total != br.Total {
			return 0, 0, 0, mismatch("chunk %s says total %d, earlier chunks %d", f.TransactionID, br.Total, total)
		}
		total = br.Total
	}
	if f.flag() == FlagEnd {
		if total != Unknown && total != hi {
			return 0, 0, 0, mismatch("last chunk %s ends at %d of %d", f.TransactionID, hi, total)
		}
		total = hi
	}
	if hi > r.cfg.MaxMessageBytes || total > r.cfg.MaxMessageBytes {
		return 0, 0, 0, fmt.Errorf("%w: %d bytes, limit %d", ErrMessageTooLarge, max(hi, total), r.cfg.MaxMessageBytes)
	}
	if total != Unknown && hi > total {
		return 0, 0, 0, mismatch("chunk %s ends at %d beyond total %d", f.TransactionID, hi, total)
	}
	if total != Unknown && r.maxReceived() > total {
		return 0, 0, 0, mismatch("chunk %s says total %d, bytes up to %d received", f.TransactionID, total, r.maxReceived())
	}
	return lo, hi, total, nil
}

func (r *Reassembler) maxReceived() int64 {
	if len(r.have) == 0 {
		return 0
	}
	return r.have[len(r.have)-1].hi
}

// checkOverlap refuses bytes that differ from ones already received.
func (r *Reassembler) checkOverlap(lo int64, body []byte) error {
	hi := lo + int64(len(body))
	i := sort.Search(len(r.have), func(i int) bool { return r.have[i].hi > lo })
	for ; i < len(r.have) && r.have[i].lo < hi; i++ {
		a, b := max(lo, r.have[i].lo), min(hi, r.have[i].hi)
		if !bytes.Equal(r.buf[a:b], body[a-lo:b-lo]) {
			return mismatch("bytes %d-%d differ from those received before", a+1, b)
		}
	}
	return nil
}

// store copies body to [lo, hi) and records the span.
func (r *Reassembler) store(lo, hi, total int64, body []byte) {
	r.total = total
	need := hi
	if total != Unknown {
		need = total
	}
	if int64(len(r.buf)) < need {
		if int64(cap(r.buf)) < need {
			grown := make([]byte, need, max(need, min(2*int64(cap(r.buf)), r.cfg.MaxMessageBytes)))
			copy(grown, r.buf)
			r.buf = grown
		}
		r.buf = r.buf[:need]
	}
	copy(r.buf[lo:hi], body)
	if hi > lo {
		r.addSpan(span{lo, hi})
	}
}

// addSpan inserts s into the sorted, merged span list.
func (r *Reassembler) addSpan(s span) {
	i := sort.Search(len(r.have), func(i int) bool { return r.have[i].hi >= s.lo })
	j := i
	for j < len(r.have) && r.have[j].lo <= s.hi {
		s.lo, s.hi = min(s.lo, r.have[j].lo), max(s.hi, r.have[j].hi)
		j++
	}
	r.have = append(r.have[:i], append([]span{s}, r.have[j:]...)...)
}

func (r *Reassembler) complete() bool {
	if r.total == Unknown {
		return false
	}
	return r.total == 0 || len(r.have) == 1 && r.have[0] == span{0, r.total}
}

// Done reports whether every byte of the message has arrived.
func (r *Reassembler) Done() bool { return !r.aborted && r.complete() }

// Message returns the whole message once Done, else nil. The slice
// belongs to the Reassembler until it is discarded.
func (r *Reassembler) Message() []byte {
	if !r.Done() {
		return nil
	}
	return r.buf[:r.total]
}

// Received returns the number of distinct message bytes received.
func (r *Reassembler) Received() int64 {
	var n int64
	for _, s := range r.have {
		n += s.hi - s.lo
	}
	return n
}

// Total returns the message size, or Unknown before a chunk has told it.
func (r *Reassembler) Total() int64 { return r.total }
