package main

import (
	"bytes"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/iwf-gateway/iwf/adapters/smpp"
	"github.com/iwf-gateway/iwf/sim/smsc"
	"github.com/iwf-gateway/iwf/translate"
)

// submitRecorder counts, per bench message number, the submit_sm the SMSC
// simulator accepted (its OnSubmit hook), and the gaps between submits.
type submitRecorder struct {
	base   time.Time
	seen   []atomic.Uint32 // submits of "bench <n>", by n
	unique atomic.Int64    // numbers seen at least once
	total  atomic.Int64    // submits of bench numbers
	alien  atomic.Int64    // submits whose text is not "bench <n>" of this run

	first, last atomic.Int64 // ns since base of the first and latest submit, 0 before
	maxGap      atomic.Int64 // longest ns between two consecutive submits
}

func newSubmitRecorder(count int, base time.Time) *submitRecorder {
	return &submitRecorder{base: base, seen: make([]atomic.Uint32, count)}
}

// onSubmit is the simulator's OnSubmit hook; it runs on the connection's
// reader and does not block.
func (r *submitRecorder) onSubmit(sm smpp.ShortMessage, _ string) {
	now := int64(time.Since(r.base))
	r.first.CompareAndSwap(0, now)
	if prev := r.last.Swap(now); prev != 0 {
		r.noteGap(now - prev)
	}
	n, ok := benchNumber(&sm)
	if !ok || n >= len(r.seen) {
		r.alien.Add(1)
		return
	}
	r.total.Add(1)
	if r.seen[n].Add(1) == 1 {
		r.unique.Add(1)
	}
}

func (r *submitRecorder) noteGap(gap int64) {
	for {
		cur := r.maxGap.Load()
		if gap <= cur || r.maxGap.CompareAndSwap(cur, gap) {
			return
		}
	}
}

// benchNumber reads n from the text "bench <n>". The text is ASCII, which
// GSM 7-bit (unpacked, one septet an octet) and Latin-1 carry as the same
// octets; other codings go through the full decoder.
func benchNumber(sm *smpp.ShortMessage) (int, bool) {
	text := sm.Message
	if len(text) == 0 {
		text, _ = sm.TLV(smpp.TagMessagePayload)
	}
	if sm.ESMClass&smpp.ESMClassUDHI == 0 && (sm.DataCoding == 0 || sm.DataCoding == 1 || sm.DataCoding == 3) {
		if n, ok := parseBenchText(text); ok {
			return n, true
		}
	}
	seg, err := translate.DecodeSMS(sm)
	if err != nil || seg.Binary {
		return 0, false
	}
	return parseBenchText([]byte(seg.Text))
}

func parseBenchText(b []byte) (int, bool) {
	digits, ok := bytes.CutPrefix(b, []byte("bench "))
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(string(digits))
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// submitCheck is the comparison of what was accepted with what reached the
// SMSC.
type submitCheck struct {
	Unique, Repeats, Lost, Unexpected int
}

// check compares the numbers for which accepted is true (a load
// generator's final 202, a delivered file) with the submits.
func (r *submitRecorder) check(accepted func(n int) bool) submitCheck {
	var c submitCheck
	for n := range len(r.seen) {
		k := int(r.seen[n].Load())
		ok := accepted(n)
		switch {
		case k > 0:
			c.Unique++
			c.Repeats += k - 1
			if !ok {
				c.Unexpected++
			}
		case ok:
			c.Lost++
		}
	}
	return c
}

// bindWatch samples the simulator's transmitting binds and keeps the
// longest time fewer than want were bound, once all had been.
type bindWatch struct {
	longest   time.Duration
	downSince time.Time
	armed     bool
}

func (w *bindWatch) sample(sim *smsc.SMSC, want int, now time.Time) {
	_, tx := sim.Bound()
	switch {
	case tx >= want:
		if !w.downSince.IsZero() {
			w.longest = max(w.longest, now.Sub(w.downSince))
			w.downSince = time.Time{}
		}
		w.armed = true
	case w.armed && w.downSince.IsZero():
		w.downSince = now
	}
}
