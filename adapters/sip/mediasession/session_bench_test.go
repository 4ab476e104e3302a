package mediasession

import (
	"bytes"
	"context"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/adapters/sip/msrp"
)

// BenchmarkSend1MB sends 1 MiB messages, chunked at the default 2048
// bytes with Failure-Report yes, from one Endpoint to another on
// loopback; MB/s is payload. The receiving Handler does nothing.
func BenchmarkSend1MB(b *testing.B) {
	iwf, peer := startEndpoint(b, EndpointConfig{}), startEndpoint(b, EndpointConfig{})
	sa, err := iwf.NewSession(SessionOptions{Handler: func(context.Context, *Session, *Message) error { return nil }})
	if err != nil {
		b.Fatal(err)
	}
	sb, err := peer.NewSession(SessionOptions{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := sb.Connect(ctx, []msrp.URI{sa.LocalURI()}); err != nil {
		b.Fatal(err)
	}
	body := pattern(1 << 20)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := sb.Send(ctx, Message{ContentType: "application/octet-stream", Body: body}); err != nil {
			b.Fatal(err)
		}
	}
}

// idleSessionBytes reports the heap and stack bytes per idle session:
// n sessions of an Endpoint, bound by peers on one connection each
// (shared false) or all on one connection (shared true). The peers are
// bare sockets that read the 200 with a small buffer, so that what is
// measured is iwf's side.
func idleSessionBytes(t testing.TB, n int, shared bool) float64 {
	e := startEndpoint(t, EndpointConfig{MaxSessions: n, MaxConnections: n})
	measure := func() uint64 {
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc + ms.StackInuse
	}
	before := measure()
	var peers []net.Conn
	for range n {
		s, err := e.NewSession(SessionOptions{Handler: func(context.Context, *Session, *Message) error { return nil }})
		if err != nil {
			t.Fatal(err)
		}
		if len(peers) == 0 || !shared {
			nc, err := net.Dial("tcp", e.Addr())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { nc.Close() })
			peers = append(peers, nc)
		}
		bindRaw(t, peers[len(peers)-1], s.LocalURI())
	}
	if st := e.Status(); st.Bound != n {
		t.Fatalf("%d of %d sessions bound", st.Bound, n)
	}
	after := measure()
	runtime.KeepAlive(peers)
	return float64(after-before) / float64(n)
}

// bindRaw binds session to with an empty SEND on nc and reads the 200.
func bindRaw(t testing.TB, nc net.Conn, to msrp.URI) {
	t.Helper()
	tid := "bind" + to.SessionID[:8]
	f := &msrp.Frame{TransactionID: tid, Method: msrp.MethodSEND, ToPath: []msrp.URI{to}, FromPath: []msrp.URI{rawURI(t, to.SessionID)},
		MessageID: "bindmsg1", ByteRange: &msrp.ByteRange{Start: 1, End: 0, Total: 0}}
	b, err := f.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nc.Write(b); err != nil {
		t.Fatal(err)
	}
	end := []byte("-------" + tid + "$\r\n")
	var got []byte
	buf := make([]byte, 256)
	nc.SetReadDeadline(time.Now().Add(ioWait))
	for !bytes.HasSuffix(got, end) {
		k, err := nc.Read(buf)
		if err != nil {
			t.Fatalf("reading 200: %v after %q", err, got)
		}
		got = append(got, buf[:k]...)
	}
	if !bytes.HasPrefix(got, []byte("MSRP "+tid+" 200")) {
		t.Fatalf("bind answered %q", got)
	}
}

// TestIdleSessionMemory reports what 1,000 idle bound sessions cost.
func TestIdleSessionMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	for _, shared := range []bool{false, true} {
		per := idleSessionBytes(t, 1000, shared)
		t.Logf("idle session, own connection %v: %.0f bytes/session", !shared, per)
		if per > 50<<10 {
			t.Errorf("%.0f bytes per idle session, want under 50 KiB", per)
		}
	}
}
