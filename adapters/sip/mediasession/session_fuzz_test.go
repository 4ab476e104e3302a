package mediasession

import (
	"fmt"
	"testing"

	"github.com/iwf-gateway/iwf/adapters/sip/msrp"
)

// FuzzReceiveChunks drives a session's receive state with arbitrary
// chunk sequences of three messages (ranges in any order, overlapping,
// beyond their totals, aborted, with bytes that contradict earlier ones)
// and checks after every chunk that the accounting holds: the bytes
// charged are those of the messages under way and never exceed the
// receive buffer, every answer is one the protocol allows, and a
// message that completes from consistent chunks has exactly its bytes.
func FuzzReceiveChunks(f *testing.F) {
	f.Add([]byte{0, 0, 0, 100, 1, 1})                                         // one message, one chunk
	f.Add([]byte{0, 0, 100, 200, 1, 0, 0, 0, 0, 100, 1, 1})                   // second half first
	f.Add([]byte{1, 0, 0, 255, 0, 0, 1, 0, 255, 255, 0, 2})                   // unknown total, aborted
	f.Add([]byte{2, 0, 0, 50, 1, 0x10, 2, 0, 0, 50, 1, 1})                    // contradicting bytes
	f.Add([]byte{0, 3, 255, 255, 2, 1, 1, 0, 0, 255, 1, 0})                   // beyond the total
	f.Add([]byte{0, 0, 0, 255, 1, 0, 1, 0, 0, 255, 1, 0, 2, 0, 0, 255, 1, 0}) // over the budget
	f.Fuzz(func(t *testing.T, ops []byte) {
		const budget = 2000
		limits := msrp.Config{MaxMessageBytes: 1500, MaxChunks: 16}.WithDefaults()
		var r receiveState
		tainted := map[string]bool{}
		for i := 0; i+6 <= len(ops); i += 6 {
			ch, corrupt := fuzzChunk(ops[i : i+6])
			code, done := r.add(ch, limits, budget, int64(i))
			switch code {
			case 0, msrp.StatusOK, msrp.StatusUnintelligible, msrp.StatusStopSending:
			default:
				t.Fatalf("chunk %d answered %d", i/6, code)
			}
			if (code == 0) != (done != nil) {
				t.Fatalf("chunk %d: code %d with completed %v", i/6, code, done != nil)
			}
			if corrupt && (code == msrp.StatusOK || done != nil) {
				tainted[ch.MessageID] = true
			}
			if done != nil {
				checkCompleted(t, done, tainted[ch.MessageID])
				r.buffered -= done.charged // the Handler returned
				delete(tainted, ch.MessageID)
			}
			checkCharges(t, &r, budget)
		}
	})
}

// fuzzTotals are the true sizes of the three messages.
var fuzzTotals = [3]int64{300, 700, 1400}

// fuzzByte is the byte at 0-based position p of message m.
func fuzzByte(m int, p int64) byte { return byte(p*7 + int64(m)) }

// fuzzChunk decodes six bytes into one SEND chunk: message, start,
// length, how the total is stated, flag, and whether its bytes lie.
func fuzzChunk(op []byte) (*msrp.Frame, bool) {
	m := int(op[0]) % 3
	start := (int64(op[1])<<8 | int64(op[2])) % 1600
	n := int64(op[3]) * 2
	ch := &msrp.Frame{TransactionID: "fuzz0001", Method: msrp.MethodSEND, MessageID: fmt.Sprintf("fuzzmsg%d", m),
		ContentType: "a/b", Flag: [...]msrp.Flag{msrp.FlagMore, msrp.FlagEnd, msrp.FlagAbort}[op[5]%3]}
	corrupt := op[5]&0x10 != 0
	ch.Body = make([]byte, n)
	for i := range ch.Body {
		ch.Body[i] = fuzzByte(m, start+int64(i))
		if corrupt {
			ch.Body[i] ^= 0x5a
		}
	}
	switch op[4] % 4 {
	case 0:
		ch.ByteRange = &msrp.ByteRange{Start: start + 1, End: msrp.Unknown, Total: msrp.Unknown}
	case 1:
		ch.ByteRange = &msrp.ByteRange{Start: start + 1, End: start + n, Total: fuzzTotals[m]}
	case 2:
		ch.ByteRange = &msrp.ByteRange{Start: start + 1, End: start + n, Total: start + n + int64(op[4])}
	case 3: // no Byte-Range: 1-*/*
		ch.ByteRange = nil
	}
	if ch.ByteRange != nil && !validRange(*ch.ByteRange) {
		ch.ByteRange = &msrp.ByteRange{Start: start + 1, End: msrp.Unknown, Total: msrp.Unknown}
	}
	if ch.ByteRange == nil {
		for i := range ch.Body {
			ch.Body[i] = fuzzByte(m, int64(i))
		}
	}
	return ch, corrupt
}

func checkCompleted(t *testing.T, done *completed, tainted bool) {
	t.Helper()
	var m int
	fmt.Sscanf(done.MessageID, "fuzzmsg%d", &m)
	if done.charged < int64(len(done.Body)) || done.charged < messageOverhead {
		t.Fatalf("%s: %d bytes charged %d", done.MessageID, len(done.Body), done.charged)
	}
	if tainted {
		return
	}
	for p, b := range done.Body {
		if b != fuzzByte(m, int64(p)) {
			t.Fatalf("%s: byte %d is %#x, want %#x", done.MessageID, p, b, fuzzByte(m, int64(p)))
		}
	}
}

func checkCharges(t *testing.T, r *receiveState, budget int64) {
	t.Helper()
	var sum int64
	for id, in := range r.inbound {
		if in.charged < messageOverhead || in.charged < in.r.Received() {
			t.Fatalf("%s: charged %d for %d bytes", id, in.charged, in.r.Received())
		}
		sum += in.charged
	}
	if sum != r.buffered || r.buffered > budget || r.buffered < 0 {
		t.Fatalf("buffered %d, charges add to %d, budget %d", r.buffered, sum, budget)
	}
}

// validRange reports whether r is a Byte-Range the codec would decode.
func validRange(r msrp.ByteRange) bool {
	_, err := msrp.ParseByteRange(r.String())
	return err == nil
}
