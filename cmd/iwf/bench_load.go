package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// loadGenConfig configures the SIP MESSAGE load generator of `iwf bench sms`.
type loadGenConfig struct {
	Target      *net.UDPAddr  // iwf's SIP UDP address
	Count       int           // messages to send, numbered 0..Count-1
	Rate        float64       // messages per second; 0 sends as fast as Outstanding allows
	Outstanding int           // requests without a final response at once
	Sockets     int           // UDP sockets the load is spread over
	T1          time.Duration // first retransmit interval (RFC 3261 Timer A)
	T2          time.Duration // retransmit interval cap
	Timeout     time.Duration // give a request up after this long (Timer F)
	RunID       string        // makes Call-IDs unique across runs
}

// Final-state markers besides SIP status codes.
const (
	loadPending = 0 // no final response yet
	loadGaveUp  = 1 // no final response within Timeout
)

// loadGen sends numbered MESSAGEs ("bench <n>") over loopback UDP and
// records for each its first send time and final status. Run owns every
// goroutine it starts (one reader per socket and the retransmitter) and
// joins them before returning.
type loadGen struct {
	cfg   loadGenConfig
	conns []*net.UDPConn
	ports []int
	base  time.Time

	firstSent []atomic.Int64  // ns since base, by message number
	final     []atomic.Uint32 // loadPending, loadGaveUp or the final status code
	latency   []uint32        // µs from first send to final response; written once by the recorder
	tokens    chan struct{}   // one per outstanding request
	completed chan struct{}   // closed when every message has a final state
	retx      retxQueue

	sent, done, accepted, retransmits, dupResponses, stray atomic.Int64
	lastFinal                                              atomic.Int64 // ns since base
}

func newLoadGen(cfg loadGenConfig) *loadGen {
	lg := &loadGen{
		cfg: cfg, firstSent: make([]atomic.Int64, cfg.Count), final: make([]atomic.Uint32, cfg.Count),
		latency: make([]uint32, cfg.Count), tokens: make(chan struct{}, cfg.Outstanding),
		completed: make(chan struct{}),
	}
	lg.retx.levels = make([]retxLevel, retxLevels(cfg.T1, cfg.T2))
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
	for _, c := range lg.conns {
		wg.Add(1)
		go func() { defer wg.Done(); lg.read(c) }()
	}
	wg.Add(1)
	go func() { defer wg.Done(); lg.retransmit(stopRetx) }()
	err := lg.send(ctx)
	if err == nil {
		select {
		case <-lg.completed:
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	close(stopRetx)
	for _, c := range lg.conns {
		c.Close()
	}
	wg.Wait()
	return err
}

func (lg *loadGen) dial() error {
	for range lg.cfg.Sockets {
		c, err := net.DialUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}, lg.cfg.Target)
		if err != nil {
			for _, c := range lg.conns {
				c.Close()
			}
			return fmt.Errorf("bench: load socket: %w", err)
		}
		_ = c.SetReadBuffer(4 << 20)
		_ = c.SetWriteBuffer(4 << 20)
		lg.conns = append(lg.conns, c)
		lg.ports = append(lg.ports, c.LocalAddr().(*net.UDPAddr).Port)
	}
	return nil
}

// send writes each message once, paced by Rate and bounded by Outstanding.
func (lg *loadGen) send(ctx context.Context) error {
	buf := make([]byte, 0, 1024)
	for n := range lg.cfg.Count {
		select {
		case lg.tokens <- struct{}{}:
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
		lg.firstSent[n].Store(int64(now))
		buf = lg.appendRequest(buf[:0], n)
		// A failed write is a lost datagram: the retransmitter repeats it.
		_, _ = lg.conns[n%len(lg.conns)].Write(buf)
		lg.retx.push(0, retxEntry{n: int32(n), due: int64(now + lg.cfg.T1)})
		lg.sent.Add(1)
	}
	return nil
}

// appendRequest formats MESSAGE number n; retransmissions format the same
// bytes again.
func (lg *loadGen) appendRequest(b []byte, n int) []byte {
	i := n % len(lg.conns)
	num := strconv.Itoa(n)
	body := "bench " + num
	b = append(b, "MESSAGE sip:+447700900123@iwf.example.net;user=phone SIP/2.0\r\n"...)
	b = fmt.Appendf(b, "Via: SIP/2.0/UDP 127.0.0.1:%d;rport;branch=z9hG4bK%s.%s\r\n", lg.ports[i], lg.cfg.RunID, num)
	b = append(b, "Max-Forwards: 70\r\n"...)
	b = fmt.Appendf(b, "From: <sip:+447700900999@bench.example.net;user=phone>;tag=%s\r\n", lg.cfg.RunID)
	b = append(b, "To: <sip:+447700900123@iwf.example.net;user=phone>\r\n"...)
	b = fmt.Appendf(b, "Call-ID: %s.%s@bench\r\nCSeq: 1 MESSAGE\r\n", num, lg.cfg.RunID)
	b = append(b, "Content-Type: text/plain;charset=UTF-8\r\n"...)
	b = fmt.Appendf(b, "Content-Length: %d\r\n\r\n%s", len(body), body)
	return b
}

// read records the final responses arriving on one socket.
func (lg *loadGen) read(c *net.UDPConn) {
	buf := make([]byte, 64<<10)
	for {
		k, err := c.Read(buf)
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				continue
			}
			return
		}
		code, n, ok := parseBenchResponse(buf[:k], lg.cfg.RunID, lg.cfg.Count)
		if !ok {
			lg.stray.Add(1)
			continue
		}
		if code < 200 {
			continue
		}
		if !lg.finish(n, uint32(code)) {
			lg.dupResponses.Add(1)
		}
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
	<-lg.tokens
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
	buf := make([]byte, 0, 1024)
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		now := time.Since(lg.base)
		for level := range lg.retx.levels {
			for _, e := range lg.retx.due(level, int64(now)) {
				buf = lg.retransmitOne(buf, level, e, now)
			}
		}
	}
}

func (lg *loadGen) retransmitOne(buf []byte, level int, e retxEntry, now time.Duration) []byte {
	n := int(e.n)
	if lg.final[n].Load() != loadPending {
		return buf
	}
	if now-time.Duration(lg.firstSent[n].Load()) >= lg.cfg.Timeout {
		lg.finish(n, loadGaveUp)
		return buf
	}
	buf = lg.appendRequest(buf[:0], n)
	_, _ = lg.conns[n%len(lg.conns)].Write(buf)
	lg.retransmits.Add(1)
	next := min(level+1, len(lg.retx.levels)-1)
	interval := min(lg.cfg.T1<<next, lg.cfg.T2)
	lg.retx.push(next, retxEntry{n: e.n, due: int64(now + interval)})
	return buf
}

// retxQueue holds sent requests by retransmit level; within a level the
// entries are in order of due time because every entry of a level waits
// the same interval.
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
}

func (lg *loadGen) stats() loadStats {
	st := loadStats{Refused: map[int]int{}, Retransmits: lg.retransmits.Load(), DupResponses: lg.dupResponses.Load()}
	lat := make([]uint32, 0, lg.accepted.Load())
	st.Sent = int(lg.sent.Load())
	for n := range st.Sent {
		switch code := lg.final[n].Load(); code {
		case 202:
			st.Accepted++
			lat = append(lat, lg.latency[n])
		case loadPending, loadGaveUp:
			st.Unanswered++
		default:
			st.Refused[int(code)]++
		}
	}
	st.Duration = time.Duration(lg.lastFinal.Load())
	st.P50, st.P99, st.Max = percentiles(lat)
	return st
}
