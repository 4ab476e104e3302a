package translate

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/adapters/smpp"
)

var t0 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

func part(src string, ref uint16, total, seq uint8, dc uint8, ud string) Segment {
	seg := Segment{Source: smpp.Address{Addr: src}, Dest: smpp.Address{Addr: "1234"}, DataCoding: dc, Ref: ref, Total: total, Seq: seq, UserData: []byte(ud)}
	seg.Text = decodeSMSText(dataCodingAlphabet(dc), seg.UserData)
	seg.Binary = dataCodingAlphabet(dc) == alphaBinary
	return seg
}

func TestReassemblerAnyOrder(t *testing.T) {
	for _, order := range [][]int{{0, 1, 2}, {2, 1, 0}, {1, 2, 0}} {
		r := NewReassembler(ReassemblyConfig{})
		parts := []Segment{part("a", 7, 3, 1, 3, "one "), part("a", 7, 3, 2, 3, "two "), part("a", 7, 3, 3, 3, "three")}
		var got *Assembled
		for i, idx := range order {
			a, err := r.Add(parts[idx], t0.Add(time.Duration(i)*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			if (a != nil) != (i == len(order)-1) {
				t.Fatalf("order %v: completion after %d parts", order, i+1)
			}
			got = a
		}
		if got.Text != "one two three" || !got.Complete() || got.Total != 3 || got.Ref != 7 || got.Source.Addr != "a" || !got.FirstSeen.Equal(t0) || r.Pending() != 0 || r.Bytes() != 0 {
			t.Errorf("order %v: %+v", order, got)
		}
	}
}

func TestReassemblerDuplicatesAndReuse(t *testing.T) {
	r := NewReassembler(ReassemblyConfig{})
	p1, p2 := part("a", 1, 2, 1, 3, "x"), part("a", 1, 2, 2, 3, "y")
	if a, err := r.Add(p1, t0); a != nil || err != nil {
		t.Fatal(a, err)
	}
	if a, err := r.Add(p1, t0); a != nil || err != nil || r.Bytes() != 1 {
		t.Fatalf("duplicate: %v %v bytes %d", a, err, r.Bytes())
	}
	if a, _ := r.Add(p2, t0); a == nil || a.Text != "xy" {
		t.Fatalf("completion: %+v", a)
	}
	// A repeat of a delivered part (the SMSC retried) starts nothing.
	if a, err := r.Add(p2, t0.Add(time.Minute)); a != nil || err != nil || r.Pending() != 0 {
		t.Fatalf("repeat after completion: %v %v pending %d", a, err, r.Pending())
	}
	// The same reference with new content is a new message.
	if a, err := r.Add(part("a", 1, 2, 2, 3, "z"), t0.Add(time.Minute)); a != nil || err != nil || r.Pending() != 1 {
		t.Fatalf("reused reference: %v %v pending %d", a, err, r.Pending())
	}
	// Other originators, recipients and totals are other messages.
	for _, s := range []Segment{part("b", 1, 2, 1, 3, "x"), part("a", 1, 3, 1, 3, "x")} {
		if a, _ := r.Add(s, t0); a != nil {
			t.Fatalf("%+v completed another message", s)
		}
	}
	if r.Pending() != 3 {
		t.Errorf("pending %d, want 3", r.Pending())
	}
}

func TestReassemblerSingleAndBadSegments(t *testing.T) {
	r := NewReassembler(ReassemblyConfig{})
	a, err := r.Add(part("a", 0, 0, 0, 0, "\x48\x49"), t0)
	if err != nil || a == nil || a.Text != "HI" || !a.Complete() {
		t.Fatalf("single: %+v %v", a, err)
	}
	for _, s := range []Segment{part("a", 1, 3, 0, 3, "x"), part("a", 1, 3, 4, 3, "x"), part("a", 1, 1, 2, 3, "x"), part("a", 1, 2, 1, 3, strings.Repeat("x", 70000))} {
		if _, err := r.Add(s, t0); !errors.Is(err, ErrBadSegment) {
			t.Errorf("seq %d/%d: %v", s.Seq, s.Total, err)
		}
	}
	if r.Pending() != 0 || r.Bytes() != 0 {
		t.Error("bad segments changed state")
	}
}

func TestReassemblerBounds(t *testing.T) {
	r := NewReassembler(ReassemblyConfig{MaxPending: 2, MaxBytes: 10})
	mustAdd := func(s Segment) {
		if _, err := r.Add(s, t0); err != nil {
			t.Fatal(err)
		}
	}
	mustAdd(part("a", 1, 2, 1, 3, "aaaa"))
	mustAdd(part("b", 1, 2, 1, 3, "bbbb"))
	if _, err := r.Add(part("c", 1, 2, 1, 3, "c"), t0); !errors.Is(err, ErrReassemblyFull) {
		t.Errorf("third message: %v", err)
	}
	if _, err := r.Add(part("a", 1, 2, 2, 3, "aaa"), t0); !errors.Is(err, ErrReassemblyFull) {
		t.Errorf("over bytes: %v", err)
	}
	if r.Pending() != 2 || r.Bytes() != 8 {
		t.Errorf("full Add changed state: pending %d bytes %d", r.Pending(), r.Bytes())
	}
	if a, err := r.Add(part("a", 1, 2, 2, 3, "aa"), t0); err != nil || a == nil || a.Text != "aaaaaa" {
		t.Errorf("fitting part: %+v %v", a, err)
	}
	if (ReassemblyConfig{MaxBytes: -1}).Validate() == nil || (ReassemblyConfig{}).Validate() != nil {
		t.Error("Validate")
	}
}

func TestReassemblerExpireMarksGaps(t *testing.T) {
	r := NewReassembler(ReassemblyConfig{Timeout: time.Minute})
	r.Add(part("b", 9, 5, 1, 3, "one "), t0.Add(time.Second))
	r.Add(part("b", 9, 5, 4, 3, " four"), t0.Add(2*time.Second))
	r.Add(part("a", 3, 3, 2, 3, "middle"), t0)
	r.Add(part("c", 1, 2, 1, 3, "late"), t0.Add(50*time.Second))
	if got := r.Expire(t0.Add(59 * time.Second)); len(got) != 0 {
		t.Fatalf("expired early: %+v", got)
	}
	got := r.Expire(t0.Add(61 * time.Second))
	if len(got) != 2 || r.Pending() != 1 {
		t.Fatalf("expired %d, pending %d", len(got), r.Pending())
	}
	if got[0].Source.Addr != "a" || got[0].Text != GapMarker+"middle"+GapMarker || !slices.Equal(got[0].Missing, []int{1, 3}) {
		t.Errorf("first: %+v", got[0])
	}
	if got[1].Text != "one "+GapMarker+" four"+GapMarker || !slices.Equal(got[1].Missing, []int{2, 3, 5}) || got[1].Complete() {
		t.Errorf("second: %+v", got[1])
	}
	if r.Bytes() != 4 {
		t.Errorf("bytes %d after expiry", r.Bytes())
	}
}

func TestReassemblerJoinsSplitCharacters(t *testing.T) {
	r := NewReassembler(ReassemblyConfig{})
	// A surrogate pair split across UCS-2 parts, an ESC pair across GSM parts.
	r.Add(part("a", 1, 2, 1, 8, "\x00A\xd8\x3d"), t0)
	a, _ := r.Add(part("a", 1, 2, 2, 8, "\xde\x00"), t0)
	if a == nil || a.Text != "A😀" {
		t.Errorf("UCS-2: %+v", a)
	}
	r.Add(part("a", 2, 2, 1, 0, "x\x1b"), t0)
	a, _ = r.Add(part("a", 2, 2, 2, 0, "\x65"), t0)
	if a == nil || a.Text != "x€" {
		t.Errorf("GSM: %+v", a)
	}
	// Mixed codings decode part by part.
	r.Add(part("a", 3, 2, 1, 0, "\x1b\x65"), t0)
	a, _ = r.Add(part("a", 3, 2, 2, 8, "\x04\x3f"), t0)
	if a == nil || a.Text != "€п" {
		t.Errorf("mixed: %+v", a)
	}
	// Binary parts join their octets.
	r.Add(part("a", 4, 2, 2, 4, "\x02\x03"), t0)
	a, _ = r.Add(part("a", 4, 2, 1, 4, "\x01"), t0)
	if a == nil || !a.Binary || string(a.Data) != "\x01\x02\x03" || a.Text != "" {
		t.Errorf("binary: %+v", a)
	}
}

// The gateway rebuilds from journaled segments: same input, same result.
func TestReassemblerReplayIsDeterministic(t *testing.T) {
	segs := []Segment{part("a", 1, 3, 1, 3, "x"), part("b", 2, 2, 2, 3, "y"), part("a", 1, 3, 3, 3, "z")}
	run := func() []Assembled {
		r := NewReassembler(ReassemblyConfig{Timeout: time.Minute})
		for i, s := range segs {
			r.Add(s, t0.Add(time.Duration(i)*time.Second))
		}
		return r.Expire(t0.Add(time.Hour))
	}
	a, b := run(), run()
	if len(a) != 2 || len(a) != len(b) || a[0].Text != b[0].Text || a[1].Text != b[1].Text || a[0].Source.Addr != "a" {
		t.Errorf("replays differ: %+v / %+v", a, b)
	}
}

func FuzzSegmentReassemble(f *testing.F) {
	f.Add(strings.Repeat("hello {world} ", 20), uint8(0), false, uint64(1))
	f.Add(strings.Repeat("Съешь 😀 ", 30), uint8(1), false, uint64(2))
	f.Add(strings.Repeat("ça va ", 40), uint8(2), true, uint64(3))
	f.Add("short @", uint8(3), false, uint64(4))
	f.Fuzz(func(t *testing.T, text string, mode uint8, latin bool, seed uint64) {
		route := testRoute
		route.Concatenation = Concatenation(mode % 4)
		route.AllowLatin1 = latin
		sms, err := SMSFromMessage(textMessage(text), route)
		if errors.Is(err, ErrInvalidText) || errors.Is(err, ErrTooManySegments) || errors.Is(err, ErrPayloadTooLong) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(seed, seed>>1))
		rng.Shuffle(len(sms), func(i, j int) { sms[i], sms[j] = sms[j], sms[i] })
		r := NewReassembler(ReassemblyConfig{})
		var done []*Assembled
		for i := range sms {
			seg, err := DecodeSMSWith(&sms[i], SMSDecodeOptions{KeepTrailingNUL: true})
			if err != nil {
				t.Fatal(err)
			}
			a, err := r.Add(seg, t0)
			if err != nil {
				t.Fatal(err)
			}
			if a != nil {
				done = append(done, a)
			}
		}
		if len(done) != 1 || done[0].Text != text || !done[0].Complete() || r.Pending() != 0 {
			t.Fatalf("%d segments -> %d messages; want %q", len(sms), len(done), text)
		}
	})
}
