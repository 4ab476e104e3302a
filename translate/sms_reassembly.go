package translate

import (
	"cmp"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"github.com/iwf-gateway/iwf/adapters/smpp"
)

// GapMarker stands in an expired, incomplete text for each run of missing
// parts, so the reader sees that something is lost and where.
const GapMarker = "[…]"

// ReassemblyConfig bounds a Reassembler. Zero fields take the defaults.
type ReassemblyConfig struct {
	// Timeout is how long the parts of a message may take to arrive,
	// counted from its first part. Default 10m.
	Timeout time.Duration `yaml:"timeout"`
	// MaxPending is the most incomplete messages held. Default 10000.
	MaxPending int `yaml:"max_pending"`
	// MaxBytes is the most user data octets held. Default 16 MiB.
	MaxBytes int `yaml:"max_bytes"`
}

// The ReassemblyConfig defaults.
const (
	DefaultReassemblyTimeout    = 10 * time.Minute
	DefaultReassemblyMaxPending = 10000
	DefaultReassemblyMaxBytes   = 16 << 20
)

// maxSegmentOctets bounds one segment's header and user data.
const maxSegmentOctets = maxPayload + 256

// Validate rejects negative values.
func (c ReassemblyConfig) Validate() error {
	if c.Timeout < 0 || c.MaxPending < 0 || c.MaxBytes < 0 {
		return fmt.Errorf("translate: reassembly: timeout, max_pending and max_bytes must not be negative")
	}
	return nil
}

func (c ReassemblyConfig) withDefaults() ReassemblyConfig {
	if c.Timeout == 0 {
		c.Timeout = DefaultReassemblyTimeout
	}
	if c.MaxPending == 0 {
		c.MaxPending = DefaultReassemblyMaxPending
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = DefaultReassemblyMaxBytes
	}
	return c
}

// Errors of Reassembler.Add.
var (
	// ErrReassemblyFull: the part would exceed MaxPending or MaxBytes.
	// Nothing changed; answer the SMSC with a temporary error.
	ErrReassemblyFull = errors.New("translate: reassembly buffer full")
	// ErrBadSegment: part number 0 or above the part count, or too large.
	ErrBadSegment = errors.New("translate: bad concatenated SMS segment")
)

// Assembled is a whole MO message: complete, or what arrived of it before
// the timeout.
type Assembled struct {
	Source, Dest smpp.Address
	Ref          uint16
	Total        int   // parts announced; 0 or 1 for a single SMS
	DataCoding   uint8 // of the first part present
	// Text is the text; for an incomplete one GapMarker stands for each
	// run of missing parts. Empty when Binary.
	Text   string
	Binary bool
	// Data is the user data of the parts present, in order: the octets
	// of binary messages (nothing marks their gaps).
	Data      []byte
	Missing   []int     // part numbers that never arrived, ascending
	FirstSeen time.Time // arrival of the first part
}

// Complete reports whether every part arrived.
func (a *Assembled) Complete() bool { return len(a.Missing) == 0 }

type reassemblyKey struct {
	src, dst string
	ref      uint16
	total    uint8
}

type pendingMessage struct {
	key   reassemblyKey
	parts []*Segment // index seq-1
	have  int
	bytes int
	first time.Time
}

// Reassembler joins concatenated MO segments, keyed by originator,
// recipient, reference and part count. Parts may come in any order; a part
// already held is ignored, as is a repeat of a part of a message completed
// within the timeout (recognised by its content, so a reused reference
// starts a new message). Results depend only on the segments and the times
// given, so replaying journaled segments with their arrival times rebuilds
// the same state.
//
// Timeout policy: Expire delivers what arrived, with GapMarker at the gaps
// and Missing listing the lost parts, rather than failing the message:
// an operator's user would rather read most of a text than nothing.
//
// A Reassembler is not safe for concurrent use; the gateway owns one per
// SMSC session or guards it with a mutex. It keeps the segments' slices.
type Reassembler struct {
	cfg     ReassemblyConfig
	pending map[reassemblyKey]*pendingMessage
	bytes   int
	done    map[reassemblyKey]completedMessage
}

// completedMessage remembers a delivered message to recognise repeats.
type completedMessage struct {
	at     time.Time
	hashes []uint64 // per part
}

// NewReassembler returns an empty Reassembler; cfg must be valid.
func NewReassembler(cfg ReassemblyConfig) *Reassembler {
	return &Reassembler{
		cfg:     cfg.withDefaults(),
		pending: make(map[reassemblyKey]*pendingMessage),
		done:    make(map[reassemblyKey]completedMessage),
	}
}

// Pending is the number of incomplete messages held.
func (r *Reassembler) Pending() int { return len(r.pending) }

// Bytes is the number of octets held.
func (r *Reassembler) Bytes() int { return r.bytes }

// Add takes one segment arriving at now. It returns the whole message when
// seg completes it (at once for a segment that is not concatenated), nil
// when more parts are due or seg repeats one already seen. Errors:
// ErrBadSegment, ErrReassemblyFull; on error nothing changed.
func (r *Reassembler) Add(seg Segment, now time.Time) (*Assembled, error) {
	size := len(seg.Header) + len(seg.UserData)
	if size > maxSegmentOctets {
		return nil, fmt.Errorf("%w: %d octets", ErrBadSegment, size)
	}
	if seg.Total <= 1 {
		if seg.Seq > 1 {
			return nil, fmt.Errorf("%w: part %d of %d", ErrBadSegment, seg.Seq, seg.Total)
		}
		return assemble(reassemblyKey{}, []*Segment{&seg}, now), nil
	}
	if seg.Seq == 0 || seg.Seq > seg.Total {
		return nil, fmt.Errorf("%w: part %d of %d", ErrBadSegment, seg.Seq, seg.Total)
	}
	key := reassemblyKey{seg.Source.Addr, seg.Dest.Addr, seg.Ref, seg.Total}
	p := r.pending[key]
	if p == nil {
		if r.isRepeat(key, &seg) {
			return nil, nil
		}
		if len(r.pending) >= r.cfg.MaxPending {
			return nil, fmt.Errorf("%w: %d messages pending", ErrReassemblyFull, len(r.pending))
		}
	} else if p.parts[seg.Seq-1] != nil {
		return nil, nil
	}
	if r.bytes+size > r.cfg.MaxBytes {
		return nil, fmt.Errorf("%w: %d octets held", ErrReassemblyFull, r.bytes)
	}
	if p == nil {
		p = &pendingMessage{key: key, parts: make([]*Segment, seg.Total), first: now}
		r.pending[key] = p
		delete(r.done, key)
	}
	p.parts[seg.Seq-1] = &seg
	p.have++
	p.bytes += size
	r.bytes += size
	if p.have < len(p.parts) {
		return nil, nil
	}
	r.remove(p)
	r.remember(p, now)
	return assemble(key, p.parts, p.first), nil
}

// Expire removes and returns the messages whose first part arrived at
// least Timeout before now, incomplete, ordered by first arrival. It also
// forgets completed messages older than Timeout.
func (r *Reassembler) Expire(now time.Time) []Assembled {
	var out []Assembled
	var expired []*pendingMessage
	for _, p := range r.pending {
		if now.Sub(p.first) >= r.cfg.Timeout {
			expired = append(expired, p)
		}
	}
	slices.SortFunc(expired, func(a, b *pendingMessage) int {
		return cmp.Or(a.first.Compare(b.first), cmp.Compare(a.key.src, b.key.src),
			cmp.Compare(a.key.dst, b.key.dst), cmp.Compare(a.key.ref, b.key.ref),
			cmp.Compare(a.key.total, b.key.total))
	})
	for _, p := range expired {
		r.remove(p)
		out = append(out, *assemble(p.key, p.parts, p.first))
	}
	for k, d := range r.done {
		if now.Sub(d.at) >= r.cfg.Timeout {
			delete(r.done, k)
		}
	}
	return out
}

func (r *Reassembler) remove(p *pendingMessage) {
	delete(r.pending, p.key)
	r.bytes -= p.bytes
}

// remember notes a completed message, unless as many are remembered as
// messages may be pending (then repeats go undetected, nothing is lost).
func (r *Reassembler) remember(p *pendingMessage, now time.Time) {
	if len(r.done) >= r.cfg.MaxPending {
		return
	}
	h := make([]uint64, len(p.parts))
	for i, s := range p.parts {
		h[i] = segmentHash(s)
	}
	r.done[p.key] = completedMessage{at: now, hashes: h}
}

func (r *Reassembler) isRepeat(key reassemblyKey, seg *Segment) bool {
	d, ok := r.done[key]
	return ok && d.hashes[seg.Seq-1] == segmentHash(seg)
}

func segmentHash(s *Segment) uint64 {
	h := fnv.New64a()
	h.Write([]byte{s.DataCoding, byte(len(s.Header))})
	h.Write(s.Header)
	h.Write(s.UserData)
	return h.Sum64()
}

// assemble joins the parts present (nil for missing ones). Runs of
// consecutive parts with one data coding are decoded together, so a
// character split across parts by the sender survives.
func assemble(key reassemblyKey, parts []*Segment, first time.Time) *Assembled {
	a := &Assembled{Ref: key.ref, Total: int(key.total), FirstSeen: first}
	var text strings.Builder
	var run []byte
	runCoding, inRun, seen := uint8(0), false, false
	flush := func() {
		if inRun {
			text.WriteString(decodeSMSText(dataCodingAlphabet(runCoding), run))
		}
		run, inRun = run[:0], false
	}
	for i, s := range parts {
		if s == nil {
			flush()
			a.Missing = append(a.Missing, i+1)
			if len(a.Missing) == 1 || a.Missing[len(a.Missing)-2] != i {
				text.WriteString(GapMarker)
			}
			continue
		}
		if !seen {
			seen = true
			a.Source, a.Dest, a.DataCoding, a.Binary = s.Source, s.Dest, s.DataCoding, s.Binary
		}
		if inRun && s.DataCoding != runCoding {
			flush()
		}
		run, runCoding, inRun = append(run, s.UserData...), s.DataCoding, true
		a.Data = append(a.Data, s.UserData...)
	}
	flush()
	if !a.Binary {
		a.Text = text.String()
	}
	return a
}
