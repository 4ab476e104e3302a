package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/iwf-gateway/iwf/adapters/smpp"
)

// loadGenConfig configures the SIP MESSAGE load generator of `iwf bench`.
type loadGenConfig struct {
	Target      *net.UDPAddr   // iwf's SIP address (with Transport "tcp", its TCP listener on that IP and port)
	Targets     []*net.UDPAddr // several iwf instances, instead of Target: message n goes to Targets[n mod len]
	Transport   string         // "udp" (default) or "tcp"
	Count       int            // messages to send, numbered 0..Count-1
	Rate        float64        // messages per second; 0 sends as fast as Outstanding allows
	Outstanding int            // requests without a final response at once, shared out among the targets
	Sockets     int            // UDP sockets or TCP connections the load is spread over (rounded up to a multiple of the targets)
	T1          time.Duration  // first retransmit interval (RFC 3261 Timer A); UDP only
	T2          time.Duration  // retransmit interval cap
	Timeout     time.Duration  // give a request up after this long (Timer F)
	RunID       string         // makes Call-IDs unique across runs
	Message     loadMessage    // what MESSAGE n carries; zero: the text "bench <n>" to an SMS user
}

// loadMessage says what each numbered MESSAGE carries. Both functions
// append to b and must write the same bytes for the same n, since a
// retransmission formats the request again.
type loadMessage struct {
	AppendURI   func(b []byte, n int) []byte // the Request-URI, also the To URI
	ContentType string
	AppendBody  func(b []byte, n int) []byte
}

// smsLoadMessage is the MESSAGE of `iwf bench sms`: the text "bench <n>"
// to one SMS user.
var smsLoadMessage = loadMessage{
	AppendURI:   func(b []byte, _ int) []byte { return append(b, "sip:+447700900123@iwf.example.net;user=phone"...) },
	ContentType: "text/plain;charset=UTF-8",
	AppendBody:  appendBenchText,
}

// smsLoadMessageTo is the MESSAGE of `iwf bench sms --recipients k`: the
// text "bench <n>" to SMS user n mod k, numbered from +447700900123 up, so
// that a shared journal, which partitions work by recipient, spreads it
// over its partitions. One recipient is smsLoadMessage.
func smsLoadMessageTo(recipients int) loadMessage {
	if recipients <= 1 {
		return smsLoadMessage
	}
	m := smsLoadMessage
	m.AppendURI = func(b []byte, n int) []byte {
		b = strconv.AppendInt(append(b, "sip:+"...), 447700900123+int64(n%recipients), 10)
		return append(b, "@iwf.example.net;user=phone"...)
	}
	return m
}

// appendBenchText appends "bench <n>", the text every bench recorder reads
// the message number from.
func appendBenchText(b []byte, n int) []byte {
	return strconv.AppendInt(append(b, "bench "...), int64(n), 10)
}

// Final-state markers besides SIP status codes.
const (
	loadPending = 0 // no final response yet
	loadGaveUp  = 1 // no final response within Timeout
)

// loadGen sends numbered MESSAGEs over loopback UDP or TCP and records for
// each its first send time and final status. Over UDP it retransmits
// (Timer A); over TCP, a reliable transport, it sends each request once
// (RFC 3261 17.1.2.2) and only gives it up after Timeout. Run owns every
// goroutine it starts (one sender per target, one reader per socket or
// connection and the retransmitter) and joins them before returning.
//
// With several targets (iwf instances) message n goes to target n mod k,
// over that target's own sockets and within its own share of
// Outstanding, from a sender of its own: an instance that answers slowly
// holds back only its share of the load.
type loadGen struct {
	cfg      loadGenConfig
	reliable bool       // TCP
	conns    []net.Conn // conns[i] is connected to Targets[i mod len(Targets)]
	ports    []int
	base     time.Time
	running  atomic.Bool // until Run closes the connections

	firstSent []atomic.Int64  // ns since base, by message number
	final     []atomic.Uint32 // loadPending, loadGaveUp or the final status code
	latency   []uint32        // µs from first send to final response; written once by the recorder
	tokens    []chan struct{} // by target, one per outstanding request to it
	completed chan struct{}   // closed when every message has a final state
	retx      retxQueue

	sent, done, accepted, retransmits, dupResponses, stray atomic.Int64
	lostConns                                              atomic.Int64 // TCP connections that ended while the load ran
	lastFinal                                              atomic.Int64 // ns since base
}

func newLoadGen(cfg loadGenConfig) *loadGen {
	if cfg.Message.AppendBody == nil {
		cfg.Message = smsLoadMessage
	}
	if len(cfg.Targets) == 0 {
		cfg.Targets = []*net.UDPAddr{cfg.Target}
	}
	k := len(cfg.Targets)
	cfg.Sockets = (max(cfg.Sockets, 1) + k - 1) / k * k
	lg := &loadGen{
		cfg: cfg, reliable: cfg.Transport == "tcp",
		firstSent: make([]atomic.Int64, cfg.Count), final: make([]atomic.Uint32, cfg.Count),
		latency: make([]uint32, cfg.Count), tokens: make([]chan struct{}, k),
		completed: make(chan struct{}),
	}
	for i := range k {
		share := cfg.Outstanding / k
		if i < cfg.Outstanding%k {
			share++
		}
		lg.tokens[i] = make(chan struct{}, max(share, 1))
	}
	if lg.reliable {
		// No retransmissions: the one queue entry of a request falls due
		// when Timer F fires.
		lg.cfg.T1, lg.cfg.T2 = cfg.Timeout, cfg.Timeout
	}
	lg.retx.levels = make([]retxLevel, retxLevels(lg.cfg.T1, lg.cfg.T2))
	return lg
}

// retxLevels is how many distinct retransmit intervals T1, 2*T1, ... T2 there are.
func retxLevels(t1, t2 time.Duration) int {
	n := 1
	for d := t1; d < t2; d *= 2 {
		n++
	}
	return n
}

// Run sends every message and returns once each has a final response or
// was given up, or when ctx ends.
func (lg *loadGen) Run(ctx context.Context) error {
	if err := lg.dial(); err != nil {
		return err
	}
	var wg sync.WaitGroup
	stopRetx := make(chan struct{})
	lg.base = time.Now()
	lg.running.Store(true)
	for _, c := range lg.conns {
		wg.Add(1)
		if lg.reliable {
			go func() { defer wg.Done(); lg.readStream(c) }()
		} else {
			go func() { defer wg.Done(); lg.read(c) }()
		}
	}
	wg.Add(1)
	go func() { defer wg.Done(); lg.retransmit(stopRetx) }()
	err := lg.sendAll(ctx)
	if err == nil {
		select {
		case <-lg.completed:
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	close(stopRetx)
	lg.running.Store(false)
	for _, c := range lg.conns {
		c.Close()
	}
	wg.Wait()
	return err
}

func (lg *loadGen) dial() error {
	for i := range lg.cfg.Sockets {
		c, port, err := lg.dialOne(lg.cfg.Targets[i%len(lg.cfg.Targets)])
		if err != nil {
			for _, c := range lg.conns {
				c.Close()
			}
			return fmt.Errorf("bench: load socket: %w", err)
		}
		lg.conns = append(lg.conns, c)
		lg.ports = append(lg.ports, port)
	}
	return nil
}

// dialOne opens one UDP socket or TCP connection to target and returns it
// with its local port.
func (lg *loadGen) dialOne(target *net.UDPAddr) (net.Conn, int, error) {
	local := net.IPv4(127, 0, 0, 1)
	if lg.reliable {
		c, err := net.DialTCP("tcp", &net.TCPAddr{IP: local}, &net.TCPAddr{IP: target.IP, Port: target.Port})
		if err != nil {
			return nil, 0, err
		}
		return c, c.LocalAddr().(*net.TCPAddr).Port, nil
	}
	c, err := net.DialUDP("udp", &net.UDPAddr{IP: local}, target)
	if err != nil {
		return nil, 0, err
	}
	_ = c.SetReadBuffer(4 << 20)
	_ = c.SetWriteBuffer(4 << 20)
	return c, c.LocalAddr().(*net.UDPAddr).Port, nil
}

// sendAll runs one sender per target and waits for them.
func (lg *loadGen) sendAll(ctx context.Context) error {
	k := len(lg.cfg.Targets)
	if k == 1 {
		return lg.send(ctx, 0)
	}
	errs := make([]error, k)
	var wg sync.WaitGroup
	for i := range k {
		wg.Go(func() { errs[i] = lg.send(ctx, i) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// send writes each message of target i (n mod k == i) once, paced by Rate
// and bounded by the target's share of Outstanding. Since the sockets are
// a multiple of the targets, socket n mod Sockets is one of target i's.
func (lg *loadGen) send(ctx context.Context, i int) error {
	buf, body := make([]byte, 0, 1024), make([]byte, 0, 1024)
	tokens := lg.tokens[i]
	for n := i; n < lg.cfg.Count; n += len(lg.cfg.Targets) {
		select {
		case tokens <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		if lg.cfg.Rate > 0 {
			due := time.Duration(float64(n) / lg.cfg.Rate * float64(time.Second))
			if ahead := due - time.Since(lg.base); ahead > time.Millisecond {
				time.Sleep(ahead)
			}
		}
		now := time.Since(lg.base)
		lg.firstSent[n].Store(max(1, int64(now))) // 0 is "not sent"
		buf, body = lg.appendRequest(buf[:0], body[:0], n)
		// A failed write is a lost datagram, which the retransmitter
		// repeats, or a broken connection, on which Timer F gives up.
		_, _ = lg.conns[n%len(lg.conns)].Write(buf)
		lg.retx.push(0, retxEntry{n: int32(n), due: int64(now + lg.cfg.T1)})
		lg.sent.Add(1)
	}
	return nil
}

// appendRequest formats MESSAGE number n after b, with its body formatted
// in scratch first; retransmissions format the same bytes again. It
// returns the request and scratch for reuse.
func (lg *loadGen) appendRequest(b, scratch []byte, n int) (req, body []byte) {
	m := &lg.cfg.Message
	i := n % len(lg.conns)
	num := strconv.Itoa(n)
	transport := "UDP"
	if lg.reliable {
		transport = "TCP"
	}
	body = m.AppendBody(scratch, n)
	b = append(b, "MESSAGE "...)
	b = m.AppendURI(b, n)
	b = append(b, " SIP/2.0\r\n"...)
	b = fmt.Appendf(b, "Via: SIP/2.0/%s 127.0.0.1:%d;rport;branch=z9hG4bK%s.%s\r\n", transport, lg.ports[i], lg.cfg.RunID, num)
	b = append(b, "Max-Forwards: 70\r\n"...)
	b = fmt.Appendf(b, "From: <sip:+447700900999@bench.example.net;user=phone>;tag=%s\r\n", lg.cfg.RunID)
	b = append(m.AppendURI(append(b, "To: <"...), n), ">\r\n"...)
	b = fmt.Appendf(b, "Call-ID: %s.%s@bench\r\nCSeq: 1 MESSAGE\r\n", num, lg.cfg.RunID)
	b = fmt.Appendf(b, "Content-Type: %s\r\n", m.ContentType)
	b = fmt.Appendf(b, "Content-Length: %d\r\n\r\n", len(body))
	return append(b, body...), body
}

// read records the final responses arriving on one socket.
func (lg *loadGen) read(c net.Conn) {
	buf := make([]byte, 64<<10)
	for {
		k, err := c.Read(buf)
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				continue
			}
			return
		}
		lg.response(buf[:k])
	}
}

// readStream records the final responses arriving on one TCP connection,
// framed by their Content-Length (RFC 3261 18.3).
func (lg *loadGen) readStream(c net.Conn) {
	defer func() {
		if lg.running.Load() {
			lg.lostConns.Add(1)
		}
	}()
	br := bufio.NewReaderSize(c, 64<<10)
	var head []byte
	for {
		head = head[:0]
		length := 0
		for {
			line, err := br.ReadSlice('\n')
			if err != nil {
				return
			}
			if len(bytes.TrimRight(line, "\r\n")) == 0 {
				if len(head) == 0 {
					continue // a keep-alive CRLF between messages (RFC 5626 4.4.1)
				}
				break
			}
			head = append(head, line...)
			if v, ok := contentLength(line); ok {
				length = v
			}
		}
		if _, err := br.Discard(length); err != nil {
			return
		}
		lg.response(head)
	}
}

// contentLength reads a Content-Length (or compact "l") header line.
func contentLength(line []byte) (int, bool) {
	name, value, ok := bytes.Cut(line, []byte(":"))
	name = bytes.TrimSpace(name)
	if !ok || !(bytes.EqualFold(name, []byte("Content-Length")) || bytes.EqualFold(name, []byte("l"))) {
		return 0, false
	}
	n, err := strconv.Atoi(string(bytes.TrimSpace(value)))
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// response records one SIP response.
func (lg *loadGen) response(b []byte) {
	code, n, ok := parseBenchResponse(b, lg.cfg.RunID, lg.cfg.Count)
	switch {
	case !ok:
		lg.stray.Add(1)
	case code < 200:
	case !lg.finish(n, uint32(code)):
		lg.dupResponses.Add(1)
	}
}

// finish gives message n its final state once; false if it had one.
func (lg *loadGen) finish(n int, code uint32) bool {
	if !lg.final[n].CompareAndSwap(loadPending, code) {
		return false
	}
	now := time.Since(lg.base)
	lg.latency[n] = uint32(max(0, now-time.Duration(lg.firstSent[n].Load())) / time.Microsecond)
	if code == 202 {
		lg.accepted.Add(1)
	}
	lg.lastFinal.Store(int64(now))
	<-lg.tokens[n%len(lg.tokens)]
	if lg.done.Add(1) == int64(lg.cfg.Count) {
		close(lg.completed)
	}
	return true
}

// parseBenchResponse reads the status code and the message number (from
// the Call-ID "<n>.<run>@bench") of a SIP response.
func parseBenchResponse(b []byte, runID string, count int) (code, n int, ok bool) {
	if len(b) < 12 || !bytes.HasPrefix(b, []byte("SIP/2.0 ")) {
		return 0, 0, false
	}
	code, err := strconv.Atoi(string(b[8:11]))
	if err != nil {
		return 0, 0, false
	}
	i := bytes.Index(b, []byte("\r\nCall-ID:"))
	skip := len("\r\nCall-ID:")
	if i < 0 {
		i, skip = bytes.Index(b, []byte("\r\ni:")), len("\r\ni:")
	}
	if i < 0 {
		return 0, 0, false
	}
	v := bytes.TrimLeft(b[i+skip:], " \t")
	dot := bytes.IndexByte(v, '.')
	if dot <= 0 || !bytes.HasPrefix(v[dot+1:], []byte(runID+"@")) {
		return 0, 0, false
	}
	n, err = strconv.Atoi(string(v[:dot]))
	if err != nil || n < 0 || n >= count {
		return 0, 0, false
	}
	return code, n, true
}

// retransmit repeats requests without a final response at T1, 2*T1, ...
// up to T2 apart, and gives them up after Timeout.
func (lg *loadGen) retransmit(stop <-chan struct{}) {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	buf, body := make([]byte, 0, 1024), make([]byte, 0, 1024)
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		now := time.Since(lg.base)
		for level := range lg.retx.levels {
			for _, e := range lg.retx.due(level, int64(now)) {
				buf, body = lg.retransmitOne(buf, body, level, e, now)
			}
		}
	}
}

func (lg *loadGen) retransmitOne(buf, body []byte, level int, e retxEntry, now time.Duration) ([]byte, []byte) {
	n := int(e.n)
	if lg.final[n].Load() != loadPending {
		return buf, body
	}
	if lg.reliable || now-time.Duration(lg.firstSent[n].Load()) >= lg.cfg.Timeout {
		lg.finish(n, loadGaveUp)
		return buf, body
	}
	buf, body = lg.appendRequest(buf[:0], body[:0], n)
	_, _ = lg.conns[n%len(lg.conns)].Write(buf)
	lg.retransmits.Add(1)
	next := min(level+1, len(lg.retx.levels)-1)
	interval := min(lg.cfg.T1<<next, lg.cfg.T2)
	lg.retx.push(next, retxEntry{n: e.n, due: int64(now + interval)})
	return buf, body
}

// retxQueue holds sent requests by retransmit level; within a level the
// entries are in order of due time because every entry of a level waits
// the same interval. (With several senders two entries may be pushed the
// other way round by the microseconds between a send and its push; the
// later one then waits for the earlier, at most that long.)
type retxQueue struct {
	mu     sync.Mutex
	levels []retxLevel
}

type retxLevel struct {
	entries []retxEntry
	head    int
}

type retxEntry struct {
	n   int32
	due int64 // ns since the load started
}

func (q *retxQueue) push(level int, e retxEntry) {
	q.mu.Lock()
	l := &q.levels[level]
	if l.head > 4096 && l.head > len(l.entries)/2 {
		l.entries = append(l.entries[:0], l.entries[l.head:]...)
		l.head = 0
	}
	l.entries = append(l.entries, e)
	q.mu.Unlock()
}

// due removes and returns the entries of level whose time has come.
func (q *retxQueue) due(level int, now int64) []retxEntry {
	q.mu.Lock()
	defer q.mu.Unlock()
	l := &q.levels[level]
	start := l.head
	for l.head < len(l.entries) && l.entries[l.head].due <= now {
		l.head++
	}
	return append([]retxEntry(nil), l.entries[start:l.head]...)
}

// loadStats is what the load generator saw, computed after Run.
type loadStats struct {
	Sent, Accepted, Unanswered int
	Refused                    map[int]int // final non-202 responses by code
	Duration                   time.Duration
	P50, P99, Max              time.Duration // accept latency of the 202s
	Retransmits, DupResponses  int64
	LostConns                  int64         // TCP connections that ended while the load ran
	PerTarget                  []targetStats // by target, with several targets
}

// targetStats is what the load generator saw of one target (iwf
// instance).
type targetStats struct {
	Sent, Accepted, Refused, Unanswered int
	P50, P99, Max                       time.Duration // accept latency of its 202s
}

func (lg *loadGen) stats() loadStats {
	st := loadStats{Refused: map[int]int{}, Retransmits: lg.retransmits.Load(), DupResponses: lg.dupResponses.Load(),
		LostConns: lg.lostConns.Load()}
	k := len(lg.cfg.Targets)
	lat := make([]uint32, 0, lg.accepted.Load())
	per := make([]targetStats, k)
	perLat := make([][]uint32, k)
	st.Sent = int(lg.sent.Load())
	// Each sender sends its messages in order, so the first Sent numbers
	// are not necessarily the ones sent; every number is looked at.
	for n := range lg.cfg.Count {
		t := &per[n%k]
		if lg.firstSent[n].Load() == 0 {
			continue // never sent
		}
		t.Sent++
		switch code := lg.final[n].Load(); code {
		case 202:
			st.Accepted++
			t.Accepted++
			lat = append(lat, lg.latency[n])
			perLat[n%k] = append(perLat[n%k], lg.latency[n])
		case loadPending, loadGaveUp:
			st.Unanswered++
			t.Unanswered++
		default:
			st.Refused[int(code)]++
			t.Refused++
		}
	}
	st.Duration = time.Duration(lg.lastFinal.Load())
	st.P50, st.P99, st.Max = percentiles(lat)
	if k > 1 {
		for i := range per {
			per[i].P50, per[i].P99, per[i].Max = percentiles(perLat[i])
		}
		st.PerTarget = per
	}
	return st
}

// arrivalRecorder is the receiving end of `iwf bench mms|imps`: the fake
// peer's hook notes the text that identifies each bench message it
// receives ("bench <n>"). It counts arrivals by number as the SMSC's
// recorder does, and keeps when each number first arrived, for the
// end-to-end latency.
type arrivalRecorder struct {
	*submitRecorder
	firstAt []atomic.Int64 // ns since base, by message number; 0 before
}

func newArrivalRecorder(count int) *arrivalRecorder {
	return &arrivalRecorder{submitRecorder: newSubmitRecorder(count, time.Now()), firstAt: make([]atomic.Int64, count)}
}

// note records one arrival; it does not block. The text goes to the
// SMSC's recorder as a short message: "bench <n>" is ASCII, which the GSM
// default alphabet carries as the same octets.
func (r *arrivalRecorder) note(text string) {
	now := int64(time.Since(r.base))
	r.onSubmit(smpp.ShortMessage{Message: []byte(text)}, "")
	if n, ok := parseBenchText([]byte(text)); ok && n < len(r.firstAt) {
		r.firstAt[n].CompareAndSwap(0, now)
	}
}

// await waits until want distinct messages have arrived, or until none
// new arrived for stall; it reports whether all did.
func (r *arrivalRecorder) await(ctx context.Context, want int64, stall time.Duration) (bool, error) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	seen, since := r.unique.Load(), time.Now()
	for seen < want {
		var now time.Time
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case now = <-tick.C:
		}
		switch u := r.unique.Load(); {
		case u != seen:
			seen, since = u, now
		case now.Sub(since) > stall:
			return false, nil
		}
	}
	return true, nil
}

// endToEnd is the time from the first send of each accepted message until
// the peer first had it: p50, p99 and max.
func (r *arrivalRecorder) endToEnd(lg *loadGen) (p50, p99, top time.Duration) {
	offset := lg.base.Sub(r.base)
	var us []uint32
	for n := range int(lg.sent.Load()) {
		at := time.Duration(r.firstAt[n].Load())
		if at == 0 || lg.final[n].Load() != 202 {
			continue
		}
		d := at - offset - time.Duration(lg.firstSent[n].Load())
		us = append(us, uint32(max(0, d)/time.Microsecond))
	}
	return percentiles(us)
}
