package sip

import (
	"bytes"
	"errors"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/adapters/sip/mediasession"
	"github.com/iwf-gateway/iwf/adapters/sip/msrp"
)

// rawMSRP is a CPM client's MSRP connection written frame by frame, so
// that a test sees iwf's answer to each chunk.
type rawMSRP struct {
	t     testing.TB
	conn  net.Conn
	r     *msrp.Reader
	to    []msrp.URI // iwf's path
	from  []msrp.URI // the client's path, as offered
	txSeq int
}

func dialRawMSRP(t testing.TB, to []msrp.URI, from string) *rawMSRP {
	t.Helper()
	fromPath, err := msrp.ParsePath(from)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", net.JoinHostPort(to[0].Host, strconv.Itoa(to[0].Port)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawMSRP{t: t, conn: c, r: msrp.NewReader(c, msrp.Config{}), to: to, from: fromPath}
}

// send sends one SEND chunk of message id and returns iwf's answer.
func (m *rawMSRP) send(id string, br msrp.ByteRange, body []byte, flag msrp.Flag) msrp.StatusCode {
	m.t.Helper()
	m.txSeq++
	f := &msrp.Frame{
		TransactionID: "txn" + strconv.Itoa(1000+m.txSeq), Method: msrp.MethodSEND,
		ToPath: m.to, FromPath: m.from, MessageID: id, ByteRange: &br,
		ContentType: "text/plain", Body: body, Flag: flag,
	}
	raw, err := f.Marshal()
	if err != nil {
		m.t.Fatal(err)
	}
	if _, err := m.conn.Write(raw); err != nil {
		m.t.Fatal(err)
	}
	m.conn.SetReadDeadline(time.Now().Add(ioBound))
	for {
		res, err := m.r.ReadFrame()
		if err != nil {
			m.t.Fatalf("no answer to %s: %v", f.TransactionID, err)
		}
		if res.IsResponse() && res.TransactionID == f.TransactionID {
			return res.Code
		}
	}
}

// TestMessageLimitOnWire checks msrp_max_message_bytes chunk by chunk
// (RFC 4975 sections 7.1.1 and 7.3.1): a message whose Byte-Range total
// exceeds it is refused with 413 on its first chunk, and so are its
// later chunks; a message of unknown total ("*") is refused on the chunk
// that takes it past the limit; a message of exactly the limit arrives
// whole.
func TestMessageLimitOnWire(t *testing.T) {
	leaks(t)
	const limit = 5000
	acc := newAcceptor()
	cfg := sessionConfig()
	cfg.MSRPMaxMessageBytes = limit
	e := startSessions(t, cfg, acc.handle)
	const clientPath = "msrp://127.0.0.1:9/rawlimit1;tcp"
	u := newRawUA(t, e, "limit-wire-1")
	res := u.invite(nil, "application/sdp", offer(clientPath, "active", "sendrecv"))
	if res.code != 200 {
		t.Fatalf("INVITE answered %d", res.code)
	}
	acc.nextSession(t)
	m := dialRawMSRP(t, answerPath(t, res.body), clientPath)
	chunk := bytes.Repeat([]byte("x"), 2000)
	unknown := msrp.Unknown

	if code := m.send("bigmsg1", msrp.ByteRange{Start: 1, End: 2000, Total: limit + 1}, chunk, msrp.FlagMore); code != msrp.StatusStopSending {
		t.Fatalf("first chunk of a %d-byte message answered %d, want 413", limit+1, code)
	}
	if code := m.send("bigmsg1", msrp.ByteRange{Start: 2001, End: 4000, Total: limit + 1}, chunk, msrp.FlagMore); code != msrp.StatusStopSending {
		t.Fatalf("later chunk of a refused message answered %d, want 413", code)
	}

	for i, want := range []msrp.StatusCode{msrp.StatusOK, msrp.StatusOK, msrp.StatusStopSending} {
		start := int64(i)*2000 + 1
		br := msrp.ByteRange{Start: start, End: start + 1999, Total: unknown}
		if code := m.send("growmsg1", br, chunk, msrp.FlagMore); code != want {
			t.Fatalf("chunk %d of a message of unknown size answered %d, want %d", i+1, code, want)
		}
	}

	whole := pattern(limit)
	for i, start := range []int64{1, 2001, 4001} {
		end := min(start+1999, limit)
		flag := msrp.FlagMore
		if end == limit {
			flag = msrp.FlagEnd
		}
		br := msrp.ByteRange{Start: start, End: end, Total: limit}
		if code := m.send("fitmsg1", br, whole[start-1:end], flag); code != msrp.StatusOK {
			t.Fatalf("chunk %d of a message of exactly the limit answered %d", i+1, code)
		}
	}
	if got := acc.nextMessage(t); !bytes.Equal(got.Body, whole) {
		t.Fatalf("handler got %d bytes, want the %d sent", len(got.Body), limit)
	}
	select {
	case got := <-acc.messages:
		t.Fatalf("a refused message reached the handler: %d bytes", len(got.Body))
	default:
	}
	if res := u.inDialog("BYE", nil, "", ""); res.code != 200 {
		t.Fatalf("BYE answered %d", res.code)
	}
}

// TestIdleOutgoingSessionEnded: a chat iwf opened that carries no MSRP
// frame for msrp_idle_timeout is ended by iwf's BYE, as an incoming one
// is (TestIdleSessionEnded).
func TestIdleOutgoingSessionEnded(t *testing.T) {
	leaks(t)
	peer := newAcceptor()
	b := startSessions(t, sessionConfig(), peer.handle)
	cfg := sessionConfig()
	cfg.OutboundProxy = proxyOf(t, b)
	cfg.MSRPIdleTimeout = 100 * time.Millisecond
	a := startSessions(t, cfg, nil)
	o := largeMessage()
	o.Kind = KindChat
	out, err := a.OpenSession(sendCtx(t), o)
	if err != nil {
		t.Fatal(err)
	}
	in := peer.nextSession(t)
	if err := waitDone(t, out.Done(), out.Err); !errors.Is(err, ErrMediaEnded) || !errors.Is(err, mediasession.ErrIdle) {
		t.Fatalf("idle session ended with %v", err)
	}
	if err := waitDone(t, in.Done(), in.Err); !errors.Is(err, ErrEndedByPeer) {
		t.Fatalf("peer's session ended with %v, want iwf's BYE", err)
	}
}
