package sip

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// rawUA is a CPM client written at the wire level over TCP: it sends
// INVITE, ACK, re-INVITE, UPDATE and BYE byte for byte as the test
// writes them, and reads and answers what iwf sends, so that tests can
// assert every header iwf puts on the wire. It listens on its Contact
// address for the requests iwf sends in the dialog (BYE, re-INVITE).
type rawUA struct {
	t      testing.TB
	conn   net.Conn     // to iwf's TCP listener
	ln     net.Listener // the Contact address
	in     chan *rawMessage
	done   chan struct{} // closed by close: readers stop
	wg     sync.WaitGroup
	callID string
	tag    string
	toTag  string // iwf's tag, from its 200
	cseq   int
	// pending holds requests iwf sent while the test waited for a
	// response.
	pending []*rawMessage

	mu    sync.Mutex
	conns []net.Conn
}

// rawMessage is a SIP message read off the wire.
type rawMessage struct {
	start   string // request line or status line
	method  string // request method, "" for a response
	code    int    // response code, 0 for a request
	headers []string
	body    []byte
	raw     string
	conn    net.Conn // where it came from; responses go back on it
}

func (m *rawMessage) header(name string) string {
	return headerValue(strings.Join(m.headers, "\r\n"), name)
}

func newRawUA(t testing.TB, e *Endpoint, callID string) *rawUA {
	t.Helper()
	conn, err := net.Dial("tcp", addrOf(t, e, "tcp"))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := &rawUA{t: t, conn: conn, ln: ln, in: make(chan *rawMessage, 64), done: make(chan struct{}), callID: callID, tag: "peer" + callID}
	u.track(conn)
	u.wg.Go(func() { u.readLoop(conn) })
	u.wg.Go(u.acceptLoop)
	t.Cleanup(u.close)
	return u
}

func (u *rawUA) track(c net.Conn) {
	u.mu.Lock()
	u.conns = append(u.conns, c)
	u.mu.Unlock()
}

func (u *rawUA) close() {
	close(u.done)
	u.ln.Close()
	u.mu.Lock()
	for _, c := range u.conns {
		c.Close()
	}
	u.mu.Unlock()
	u.wg.Wait()
}

func (u *rawUA) acceptLoop() {
	for {
		c, err := u.ln.Accept()
		if err != nil {
			return
		}
		u.track(c)
		u.wg.Go(func() { u.readLoop(c) })
	}
}

// readLoop frames messages by Content-Length until the connection ends.
func (u *rawUA) readLoop(c net.Conn) {
	br := bufio.NewReader(c)
	for {
		m, err := readRawMessage(br)
		if err != nil {
			return
		}
		m.conn = c
		select {
		case u.in <- m:
		case <-u.done:
			return
		}
	}
}

func readRawMessage(br *bufio.Reader) (*rawMessage, error) {
	var head strings.Builder
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return nil, err
		}
		if line == "\r\n" && head.Len() == 0 {
			continue // keep-alive
		}
		head.WriteString(line)
		if line == "\r\n" {
			break
		}
	}
	m := parseRaw(head.String())
	n, _ := strconv.Atoi(m.header("Content-Length"))
	m.body = make([]byte, n)
	if _, err := io.ReadFull(br, m.body); err != nil {
		return nil, err
	}
	m.raw += string(m.body)
	return m, nil
}

func parseRaw(head string) *rawMessage {
	lines := strings.Split(strings.TrimSuffix(head, "\r\n\r\n"), "\r\n")
	m := &rawMessage{start: lines[0], headers: lines[1:], raw: head}
	if strings.HasPrefix(m.start, "SIP/2.0 ") {
		fmt.Sscanf(m.start, "SIP/2.0 %d", &m.code)
	} else {
		m.method, _, _ = strings.Cut(m.start, " ")
	}
	return m
}

func (u *rawUA) contact() string { return u.ln.Addr().String() }

// offer is an SDP offer of an MSRP client at path, in setup role setup.
func offer(path, setup, direction string) string {
	return "v=0\r\no=- 2890844526 2890844526 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
		"m=message 9 TCP/MSRP *\r\na=path:" + path + "\r\na=setup:" + setup + "\r\n" +
		"a=accept-types:message/cpim text/plain\r\na=accept-wrapped-types:*\r\na=max-size:1000000\r\na=" + direction + "\r\n"
}

const peerPath = "msrp://127.0.0.1:9/peersess1;tcp"

// request writes a request of the dialog (in it once toTag is set).
func (u *rawUA) request(method string, cseq int, headers []string, contentType, body string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s sip:+4917698765432@iwf.example.net;user=phone SIP/2.0\r\n", method)
	fmt.Fprintf(&b, "Via: SIP/2.0/TCP %s;branch=z9hG4bK%s%s%d\r\n", u.conn.LocalAddr(), u.callID, method, cseq)
	fmt.Fprintf(&b, "From: <sip:+4915112345678@ims.example.net;user=phone>;tag=%s\r\n", u.tag)
	to := "To: <sip:+4917698765432@iwf.example.net;user=phone>"
	if u.toTag != "" {
		to += ";tag=" + u.toTag
	}
	b.WriteString(to + "\r\n")
	fmt.Fprintf(&b, "Call-ID: %s\r\nCSeq: %d %s\r\nMax-Forwards: 70\r\n", u.callID, cseq, method)
	if method != "ACK" && method != "BYE" {
		fmt.Fprintf(&b, "Contact: <sip:peer@%s;transport=tcp>\r\n", u.contact())
	}
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	if contentType != "" {
		b.WriteString("Content-Type: " + contentType + "\r\n")
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", len(body), body)
	return b.Bytes()
}

func (u *rawUA) send(b []byte) {
	u.t.Helper()
	if _, err := u.conn.Write(b); err != nil {
		u.t.Fatal(err)
	}
}

// read returns the next message iwf sends, on any connection.
func (u *rawUA) read() *rawMessage {
	u.t.Helper()
	select {
	case m := <-u.in:
		return m
	case <-time.After(ioBound):
		u.t.Fatal("nothing from iwf")
		return nil
	}
}

// final reads until the final response to the request with CSeq method,
// keeping requests that come meanwhile.
func (u *rawUA) final(method string) *rawMessage {
	u.t.Helper()
	for {
		m := u.read()
		switch {
		case m.method != "":
			u.pending = append(u.pending, m)
		case m.code >= 200 && strings.HasSuffix(m.header("CSeq"), " "+method):
			return m
		}
	}
}

// nextRequest returns the next request iwf sends (ACKs included).
func (u *rawUA) nextRequest() *rawMessage {
	u.t.Helper()
	if len(u.pending) > 0 {
		m := u.pending[0]
		u.pending = u.pending[1:]
		return m
	}
	for {
		if m := u.read(); m.method != "" {
			return m
		}
	}
}

// invite sends the INVITE opening the dialog and returns iwf's final
// response; on 200 it remembers iwf's tag. Every final answer is
// acknowledged.
func (u *rawUA) invite(headers []string, contentType, body string) *rawMessage {
	u.t.Helper()
	u.cseq = 1
	u.send(u.request("INVITE", 1, headers, contentType, body))
	res := u.final("INVITE")
	if res.code == 200 {
		u.toTag = tagOf(res.header("To"))
		u.send(u.request("ACK", 1, nil, "", ""))
	} else {
		u.ackFailure(res)
	}
	return res
}

// ackFailure sends the ACK of a final answer other than 2xx to an
// INVITE: the transaction's own, with the INVITE's branch and the
// answer's To (RFC 3261 section 17.1.1.3).
func (u *rawUA) ackFailure(res *rawMessage) {
	var b bytes.Buffer
	b.WriteString("ACK sip:+4917698765432@iwf.example.net;user=phone SIP/2.0\r\n")
	fmt.Fprintf(&b, "Via: %s\r\nFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\n", res.header("Via"), res.header("From"), res.header("To"), u.callID)
	cseq, _, _ := strings.Cut(res.header("CSeq"), " ")
	fmt.Fprintf(&b, "CSeq: %s ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n", cseq)
	u.send(b.Bytes())
}

// inDialog sends a request in the dialog and returns iwf's final
// response; a final answer to a re-INVITE is acknowledged.
func (u *rawUA) inDialog(method string, headers []string, contentType, body string) *rawMessage {
	u.t.Helper()
	u.cseq++
	u.send(u.request(method, u.cseq, headers, contentType, body))
	res := u.final(method)
	switch {
	case method == "INVITE" && res.code == 200:
		u.send(u.request("ACK", u.cseq, nil, "", ""))
	case method == "INVITE":
		u.ackFailure(res)
	}
	return res
}

// respond answers a request iwf sent, on the connection it came on.
func (u *rawUA) respond(req *rawMessage, code int, extra ...string) {
	u.t.Helper()
	var b bytes.Buffer
	fmt.Fprintf(&b, "SIP/2.0 %d Test\r\n", code)
	for _, name := range []string{"Via", "From", "To", "Call-ID", "CSeq"} {
		v := req.header(name)
		if name == "To" && !strings.Contains(v, ";tag=") {
			v += ";tag=" + u.tag
		}
		b.WriteString(name + ": " + v + "\r\n")
	}
	for _, h := range extra {
		b.WriteString(h + "\r\n")
	}
	if code == 200 && req.method == "INVITE" {
		fmt.Fprintf(&b, "Contact: <sip:peer@%s;transport=tcp>\r\n", u.contact())
	}
	b.WriteString("Content-Length: 0\r\n\r\n")
	if _, err := req.conn.Write(b.Bytes()); err != nil {
		u.t.Fatal(err)
	}
}

func tagOf(h string) string {
	_, tag, _ := strings.Cut(h, ";tag=")
	tag, _, _ = strings.Cut(tag, ";")
	return tag
}
