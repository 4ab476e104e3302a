package sip

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// ioBound bounds every socket read in tests so a broken endpoint fails the
// test instead of hanging it; it is not an assertion about speed.
const ioBound = 10 * time.Second

// recorder is a Handler that records what it saw and answers with result.
type recorder struct {
	mu     sync.Mutex
	got    []*Request
	result func(*Request) error
}

func (rc *recorder) handle(ctx context.Context, r *Request) error {
	rc.mu.Lock()
	rc.got = append(rc.got, r)
	f := rc.result
	rc.mu.Unlock()
	if f != nil {
		return f(r)
	}
	return nil
}

func (rc *recorder) requests() []*Request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]*Request(nil), rc.got...)
}

// startEndpoint starts an Endpoint on udp and tcp 127.0.0.1:0 and closes
// it when the test ends.
func startEndpoint(t testing.TB, cfg Config, h Handler) *Endpoint {
	t.Helper()
	if cfg.Listen == nil {
		cfg.Listen = []string{"udp:127.0.0.1:0", "tcp:127.0.0.1:0"}
	}
	e, err := New(cfg, nil, h)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// addrOf returns the bound host:port of the endpoint's listener of network.
func addrOf(t testing.TB, e *Endpoint, network string) string {
	t.Helper()
	for _, a := range e.Addrs() {
		if n, hp, _ := strings.Cut(a, ":"); n == network {
			return hp
		}
	}
	t.Fatalf("no %s listener in %v", network, e.Addrs())
	return ""
}

// wireRequest builds request bytes as a peer would send them.
type wireRequest struct {
	method    string
	transport string // "UDP" or "TCP"
	sentBy    string // Via host:port
	branch    string
	callID    string
	headers   []string // extra header lines, without CRLF
	body      []byte
	omit      string // header name to leave out (From, To, ...)
}

func (w wireRequest) bytes() []byte {
	if w.method == "" {
		w.method = "MESSAGE"
	}
	if w.transport == "" {
		w.transport = "UDP"
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s sip:iwf@iwf.example.net SIP/2.0\r\n", w.method)
	fmt.Fprintf(&b, "Via: SIP/2.0/%s %s;branch=z9hG4bK%s;rport\r\n", w.transport, w.sentBy, w.branch)
	lines := map[string]string{
		"From":    `From: "Alice A" <sip:+4915112345678@ims.example.net;user=phone>;tag=a1b2`,
		"To":      `To: <sip:+4917698765432@iwf.example.net;user=phone>`,
		"Call-ID": "Call-ID: " + w.callID,
		"CSeq":    "CSeq: 7 " + w.method,
	}
	for _, name := range []string{"From", "To", "Call-ID", "CSeq"} {
		if name != w.omit {
			b.WriteString(lines[name] + "\r\n")
		}
	}
	b.WriteString("Max-Forwards: 70\r\n")
	for _, h := range w.headers {
		b.WriteString(h + "\r\n")
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n", len(w.body))
	b.Write(w.body)
	return b.Bytes()
}

// wireResponse is a response read off a raw socket.
type wireResponse struct {
	code    int
	headers map[string]string // lower-case name -> last value
	raw     string
}

func parseWireResponse(t testing.TB, raw []byte) wireResponse {
	t.Helper()
	head, _, _ := strings.Cut(string(raw), "\r\n\r\n")
	lines := strings.Split(head, "\r\n")
	var r wireResponse
	if _, err := fmt.Sscanf(lines[0], "SIP/2.0 %d", &r.code); err != nil {
		t.Fatalf("bad status line %q", lines[0])
	}
	r.headers = map[string]string{}
	for _, l := range lines[1:] {
		k, v, _ := strings.Cut(l, ":")
		r.headers[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
	}
	r.raw = string(raw)
	return r
}

// udpPeer is a raw UDP socket talking to the endpoint.
type udpPeer struct {
	t    testing.TB
	conn *net.UDPConn
	to   *net.UDPAddr
}

func newUDPPeer(t testing.TB, to string) *udpPeer {
	t.Helper()
	raddr, err := net.ResolveUDPAddr("udp", to)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &udpPeer{t: t, conn: c, to: raddr}
}

func (p *udpPeer) sentBy() string { return p.conn.LocalAddr().String() }

func (p *udpPeer) send(b []byte) {
	p.t.Helper()
	if _, err := p.conn.WriteToUDP(b, p.to); err != nil {
		p.t.Fatal(err)
	}
}

func (p *udpPeer) read() wireResponse {
	p.t.Helper()
	buf := make([]byte, 65536)
	p.conn.SetReadDeadline(time.Now().Add(ioBound))
	n, _, err := p.conn.ReadFromUDP(buf)
	if err != nil {
		p.t.Fatalf("no response: %v", err)
	}
	return parseWireResponse(p.t, buf[:n])
}

// roundTrip sends w over UDP and returns the final response.
func (p *udpPeer) roundTrip(w wireRequest) wireResponse {
	p.t.Helper()
	w.sentBy = p.sentBy()
	p.send(w.bytes())
	return p.read()
}

// tcpRoundTrip sends w on a new TCP connection and reads one response.
func tcpRoundTrip(t testing.TB, to string, w wireRequest) wireResponse {
	t.Helper()
	c, err := net.Dial("tcp", to)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	w.transport, w.sentBy = "TCP", c.LocalAddr().String()
	if _, err := c.Write(w.bytes()); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(ioBound))
	br := bufio.NewReader(c)
	var head strings.Builder
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("no response: %v", err)
		}
		head.WriteString(line)
		if line == "\r\n" {
			break
		}
	}
	return parseWireResponse(t, []byte(head.String()))
}
