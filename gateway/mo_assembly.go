package gateway

import (
	"fmt"
	"sync"
	"time"

	"github.com/iwf-gateway/iwf/adapters/smpp"
	"github.com/iwf-gateway/iwf/translate"
)

// fragKey names one concatenated MO message being reassembled.
type fragKey struct {
	route, src, dst string
	ref             uint16
	total           uint8
}

// moAssembler is the gateway's view of MO reassembly: one
// translate.Reassembler per SMSC route, and the journal sequence numbers of
// the fragments each pending message holds, so that completing it can
// close them in the same write that journals the whole message. Safe for
// concurrent use; mu is never held across a journal write.
type moAssembler struct {
	cfg   translate.ReassemblyConfig
	mu    sync.Mutex
	r     map[string]*translate.Reassembler
	frags map[fragKey][]uint64
	// parked are journaled fragments the reassembler had no room for
	// when they came in a letter (the source had its answer already);
	// they are offered again at each reassembly tick.
	parked []uint64
}

func newMOAssembler(c ReassemblyConfig) *moAssembler {
	return &moAssembler{
		cfg:   translate.ReassemblyConfig{Timeout: c.Timeout, MaxPending: c.MaxPending},
		r:     make(map[string]*translate.Reassembler),
		frags: make(map[fragKey][]uint64),
	}
}

// assembled is a finished MO message and the fragment entries it closes.
type assembled struct {
	route string
	msg   translate.Assembled
	seqs  []uint64
}

// add takes a journaled fragment. It returns the whole message when the
// fragment completes one; repeat reports a fragment already held (its
// entry should be closed).
func (a *moAssembler) add(route string, seq uint64, seg translate.Segment, at time.Time) (done *assembled, repeat bool, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := a.r[route]
	if r == nil {
		r = translate.NewReassembler(a.cfg)
		a.r[route] = r
	}
	before := r.Bytes()
	whole, err := r.Add(seg, at)
	if err != nil {
		return nil, false, err
	}
	key := fragKey{route, seg.Source.Addr, seg.Dest.Addr, seg.Ref, seg.Total}
	if whole == nil {
		if r.Bytes() == before {
			return nil, true, nil
		}
		a.frags[key] = append(a.frags[key], seq)
		return nil, false, nil
	}
	seqs := append(a.frags[key], seq)
	delete(a.frags, key)
	return &assembled{route: route, msg: *whole, seqs: seqs}, false, nil
}

// expire returns the messages whose parts stopped coming, with what
// arrived.
func (a *moAssembler) expire(now time.Time) []assembled {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []assembled
	for route, r := range a.r {
		for _, m := range r.Expire(now) {
			key := fragKey{route, m.Source.Addr, m.Dest.Addr, m.Ref, uint8(m.Total)}
			out = append(out, assembled{route: route, msg: m, seqs: a.frags[key]})
			delete(a.frags, key)
		}
	}
	return out
}

// pending is the number of messages being reassembled.
func (a *moAssembler) pending() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, r := range a.r {
		n += r.Pending()
	}
	return n
}

// held returns the journal sequence numbers of the fragments being
// reassembled or parked.
func (a *moAssembler) held() map[uint64]bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make(map[uint64]bool, len(a.parked))
	for _, seqs := range a.frags {
		for _, seq := range seqs {
			out[seq] = true
		}
	}
	for _, seq := range a.parked {
		out[seq] = true
	}
	return out
}

// park keeps a journaled fragment to offer to the reassembler later.
func (a *moAssembler) park(seq uint64) {
	a.mu.Lock()
	a.parked = append(a.parked, seq)
	a.mu.Unlock()
}

// unpark returns the parked fragments and forgets them.
func (a *moAssembler) unpark() []uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := a.parked
	a.parked = nil
	return out
}

// decodeFragment decodes a journaled fragment's deliver_sm again.
func decodeFragment(sm *smpp.ShortMessage) (translate.Segment, error) {
	seg, err := translate.DecodeSMS(sm)
	if err != nil {
		return seg, fmt.Errorf("gateway: journaled fragment: %w", err)
	}
	return seg, nil
}
