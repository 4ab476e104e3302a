package smsc

import (
	"context"
	"encoding/hex"
	"io"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/adapters/smpp"
	"github.com/iwf-gateway/iwf/adapters/smpp/pdu"
	"github.com/iwf-gateway/iwf/internal/leakcheck"
)

func roundTrip(t *testing.T, c net.Conn, p *pdu.PDU) *pdu.PDU {
	t.Helper()
	b, err := p.Append(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(b); err != nil {
		t.Fatal(err)
	}
	var hb [pdu.HeaderLength]byte
	if _, err := io.ReadFull(c, hb[:]); err != nil {
		t.Fatal(err)
	}
	h, err := pdu.DecodeHeader(hb[:])
	if err != nil {
		t.Fatal(err)
	}
	body := make([]byte, h.Length-pdu.HeaderLength)
	if _, err := io.ReadFull(c, body); err != nil {
		t.Fatal(err)
	}
	r, err := pdu.DecodeBody(h, body)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func bindPDU(id, pass string) *pdu.PDU {
	return &pdu.PDU{Header: pdu.Header{CommandID: pdu.BindTransmitter, Sequence: 1}, Fields: []pdu.Field{
		{Bytes: []byte(id)}, {Bytes: []byte(pass)}, {}, {Int: 0x34}, {}, {}, {}}}
}

// TestWireBindSubmitThrottleClose drives the simulator with raw PDUs.
func TestWireBindSubmitThrottleClose(t *testing.T) {
	before := runtime.NumGoroutine()
	s := New(Config{SystemID: "esme", Password: "pw", KeepSubmitted: true}, nil)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if r := roundTrip(t, c, bindPDU("esme", "wrong")); r.Status != pdu.StatusInvPaswd {
		t.Fatalf("bad password answered %s", pdu.StatusName(r.Status))
	}
	if r := roundTrip(t, c, bindPDU("esme", "pw")); r.Status != pdu.StatusOK || r.CommandID != pdu.BindTransmitterResp {
		t.Fatalf("bind answered %+v", r.Header)
	}
	sub, _ := smpp.AppendShortMessage(nil, pdu.SubmitSM, 7, &smpp.ShortMessage{Dest: smpp.Address{Addr: "123"}, Message: []byte("hi")})
	p, _ := pdu.Decode(sub)
	r := roundTrip(t, c, p)
	id, _ := r.Field("message_id")
	if r.Status != pdu.StatusOK || r.Sequence != 7 || len(id.Bytes) != 10 {
		t.Fatalf("submit_sm_resp %+v id %q", r.Header, id.Bytes)
	}
	if _, err := hex.DecodeString(string(id.Bytes)); err != nil {
		t.Fatalf("message id %q is not hex", id.Bytes)
	}
	s.Throttle(1)
	if r := roundTrip(t, c, p); r.Status != pdu.StatusThrottled {
		t.Fatalf("throttled submit answered %s", pdu.StatusName(r.Status))
	}
	if s.SubmitCount() != 1 || s.ThrottledCount() != 1 || len(s.Submitted()) != 1 || string(s.Submitted()[0].Message) != "hi" {
		t.Fatalf("counts %d/%d, kept %+v", s.SubmitCount(), s.ThrottledCount(), s.Submitted())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s.Close() // idempotent
	if n := leakcheck.Settle(before, 2*time.Second); n > before {
		t.Fatalf("goroutines %d before, %d after Close", before, n)
	}
}
