package mediasession

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/iwf-gateway/iwf/adapters/sip/msrp"
)

// sendWindow bounds the encoded bytes of the chunks a session has queued
// for writing or waiting for their response. Guarded by Session.mu.
type sendWindow struct {
	size int
	used int
	wake chan struct{} // closed when bytes are released, if someone waits
}

func (w *sendWindow) init(size int) { w.size = size }

// take reserves n bytes if they fit (one chunk always fits an empty
// window), else returns a channel closed at the next release.
func (w *sendWindow) take(n int) (ok bool, wait <-chan struct{}) {
	if w.used == 0 || w.used+n <= w.size {
		w.used += n
		return true, nil
	}
	if w.wake == nil {
		w.wake = make(chan struct{})
	}
	return false, w.wake
}

func (w *sendWindow) release(n int) {
	w.used -= n
	if w.wake != nil {
		close(w.wake)
		w.wake = nil
	}
}

// sender is the state of one Send: its chunks in flight, the first
// failure, and the REPORT it waits for.
type sender struct {
	s         *Session
	c         *conn
	messageID string
	expect200 bool                   // Failure-Report yes: every chunk waits for its 200
	tidPrefix string                 // random prefix of the chunks' transaction ids
	prefixes  []string               // every prefix used, to unregister
	written   func(n int, err error) // sd.onWritten, allocated once

	mu          sync.Mutex
	finished    bool
	held        int            // bytes of the session window this Send holds
	inflight    map[string]int // window cost of each chunk awaiting its 200, by tid
	outstanding int            // chunks not yet answered (expect200) or written
	progress    uint64
	err         error
	reportOK    bool
	signal      chan struct{} // capacity 1: something changed
}

// Send sends m on the session, chunked at EndpointConfig.ChunkSize, and
// returns once the message is delivered as far as m asks:
//
//   - Failure-Report yes (default): every chunk's 200 has arrived;
//   - partial or no: every chunk is written to the connection;
//   - SuccessReport: in addition, the peer's success REPORT arrived.
//
// A passive session first waits for the peer to bind it. Send blocks
// while the session's send window is full, so a slow peer slows the
// sender rather than growing a buffer; a body streamed from BodyReader
// is read one chunk at a time. A non-2xx response or failure REPORT, or
// no response within TransactionTimeout, fails with *SendError (408 for
// the timeout); further chunks are not sent. When ctx ends or the body
// cannot be read after some chunks went out, the message is aborted with
// a '#' chunk. Concurrent Sends on one session interleave their chunks.
func (s *Session) Send(ctx context.Context, m Message) error {
	if err := validMessage(&m); err != nil {
		return err
	}
	if !s.e.begin(false) {
		return ErrClosed
	}
	defer s.e.done()
	return s.send(ctx, &m)
}

func validMessage(m *Message) error {
	switch {
	case m.ContentType == "":
		return fmt.Errorf("%w: no content type", ErrInvalidMessage)
	case m.MessageID != "" && !msrp.IsIdent(m.MessageID):
		return fmt.Errorf("%w: Message-ID %q is not 4 to 32 ident characters", ErrInvalidMessage, m.MessageID)
	case m.Size < msrp.Unknown:
		return fmt.Errorf("%w: size %d", ErrInvalidMessage, m.Size)
	}
	switch m.FailureReport {
	case "", "yes", "no", "partial":
	default:
		return fmt.Errorf("%w: Failure-Report %q", ErrInvalidMessage, m.FailureReport)
	}
	probe := msrp.Frame{TransactionID: "abcd", Method: msrp.MethodSEND, ToPath: []msrp.URI{{Host: "h", Transport: "tcp"}},
		FromPath: []msrp.URI{{Host: "h", Transport: "tcp"}}, ContentType: m.ContentType, Extra: m.Extra}
	if err := probe.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidMessage, err)
	}
	return nil
}

// send runs one Send. Connect uses it for the empty SEND of RFC 4975
// section 5.4 that binds a session to the connection it made.
func (s *Session) send(ctx context.Context, m *Message) error {
	c, err := s.boundConn(ctx)
	if err != nil {
		return err
	}
	if m.MessageID == "" {
		m.MessageID = rand.Text()
	}
	sd := &sender{
		s: s, c: c, messageID: m.MessageID, signal: make(chan struct{}, 1),
		expect200: m.FailureReport == "" || m.FailureReport == "yes",
		inflight:  make(map[string]int),
	}
	sd.written = sd.onWritten
	if err := s.startSend(sd); err != nil {
		return err
	}
	sd.newPrefix()
	defer sd.finish()
	tick := time.NewTicker(max(s.e.cfg.TransactionTimeout/4, time.Millisecond))
	defer tick.Stop()
	w := sendWait{ctx: ctx, tick: tick.C, limit: s.e.cfg.TransactionTimeout}
	if err := sd.sendChunks(&w, m); err != nil {
		return err
	}
	if err := sd.waitOutstanding(&w); err != nil {
		return err
	}
	if m.SuccessReport {
		return sd.waitReport(ctx)
	}
	return nil
}

// startSend registers sd with the session.
func (s *Session) startSend(sd *sender) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.endedErr0()
	}
	if _, dup := s.reports[sd.messageID]; dup {
		return fmt.Errorf("%w: message %s is being sent", ErrInvalidMessage, sd.messageID)
	}
	if s.reports == nil {
		s.reports = make(map[string]*sender)
	}
	s.reports[sd.messageID] = sd
	s.sending++
	return nil
}

// finish unregisters sd and gives back the window bytes it still holds.
func (sd *sender) finish() {
	sd.mu.Lock()
	sd.finished = true
	held := sd.held
	sd.held = 0
	sd.mu.Unlock()
	sd.c.forget(sd.prefixes)
	s := sd.s
	s.mu.Lock()
	s.window.release(held)
	delete(s.reports, sd.messageID)
	s.sending--
	s.mu.Unlock()
	s.touch()
}

// sendWait is what a Send waits on besides its own signal.
type sendWait struct {
	ctx   context.Context
	tick  <-chan time.Time
	limit time.Duration
	seen  uint64 // progress at the last tick
	idle  int    // ticks without progress
}

// newPrefix takes a fresh random prefix for the chunks' transaction ids
// and routes its responses to sd.
func (sd *sender) newPrefix() {
	sd.tidPrefix = rand.Text()[:tidPrefixLen]
	sd.prefixes = append(sd.prefixes, sd.tidPrefix)
	sd.c.await(sd.tidPrefix, sd)
}

// sendChunks reads, chunks and queues the body.
func (sd *sender) sendChunks(w *sendWait, m *Message) error {
	src := newChunkSource(m, sd.s.e.cfg.ChunkSize)
	f := sd.chunkTemplate(m)
	var br msrp.ByteRange
	f.ByteRange = &br
	for n := 0; ; n++ {
		chunk, last, err := src.next()
		if err != nil {
			sd.abort(f, n, src.off, src.total(false))
			return fmt.Errorf("%w: %w", ErrBodyRead, err)
		}
		br = msrp.ByteRange{Start: src.off - int64(len(chunk)) + 1, End: src.off, Total: src.total(last)}
		f.Body, f.Flag = chunk, msrp.FlagMore
		if last {
			f.Flag = msrp.FlagEnd
		}
		b, err := sd.encodeChunk(f, n)
		if err != nil {
			return err
		}
		if err := sd.reserve(w, len(*b)); err != nil {
			putFrameBuf(b)
			if errors.Is(err, w.ctx.Err()) {
				sd.abort(f, n, br.Start-1, br.Total)
			}
			return err
		}
		if err := sd.queueChunk(f.TransactionID, b); err != nil {
			return err
		}
		sd.s.touch()
		if last {
			return nil
		}
	}
}

func (sd *sender) chunkTemplate(m *Message) *msrp.Frame {
	s := sd.s
	s.mu.Lock()
	peer := s.peer
	s.mu.Unlock()
	f := &msrp.Frame{
		Method: msrp.MethodSEND, ToPath: peer, FromPath: []msrp.URI{s.local}, MessageID: m.MessageID,
		FailureReport: m.FailureReport, ContentType: m.ContentType, Extra: m.Extra,
	}
	if m.SuccessReport {
		f.SuccessReport = "yes"
	}
	return f
}

// encodeChunk encodes chunk n of the message into a pooled buffer.
func (sd *sender) encodeChunk(f *msrp.Frame, n int) (*[]byte, error) {
	b := getFrameBuf()
	var enc []byte
	var err error
	for try := 0; ; try++ {
		f.TransactionID = sd.tidPrefix + "." + strconv.FormatUint(uint64(n), 36)
		enc, err = f.AppendMarshal((*b)[:0])
		if !errors.Is(err, msrp.ErrEndLineInBody) || try == 3 {
			break
		}
		sd.newPrefix() // the body holds this end-line: take other ids
	}
	if err != nil {
		putFrameBuf(b)
		return nil, fmt.Errorf("%w: %w", ErrInvalidMessage, err)
	}
	*b = enc
	return b, nil
}

// queueChunk queues an encoded chunk whose window bytes are reserved.
func (sd *sender) queueChunk(tid string, b *[]byte) error {
	cost := len(*b)
	o := outFrame{b: b, n: cost}
	sd.mu.Lock()
	sd.outstanding++
	if sd.expect200 {
		sd.inflight[tid] = cost
	} else {
		o.done = sd.written
	}
	sd.mu.Unlock()
	return sd.c.enqueue(o)
}

// reserve takes cost bytes of the session window, waiting while it is
// full.
func (sd *sender) reserve(w *sendWait, cost int) error {
	for {
		if err := sd.failed(); err != nil {
			return err
		}
		s := sd.s
		s.mu.Lock()
		ok, wake := s.window.take(cost)
		s.mu.Unlock()
		if ok {
			sd.mu.Lock()
			sd.held += cost
			sd.mu.Unlock()
			return nil
		}
		if err := sd.wait(w, wake); err != nil {
			return err
		}
	}
}

// giveBack returns cost window bytes held by sd, unless it finished.
func (sd *sender) giveBack(cost int) {
	sd.mu.Lock()
	if sd.finished || cost == 0 {
		sd.mu.Unlock()
		return
	}
	sd.held -= cost
	sd.mu.Unlock()
	s := sd.s
	s.mu.Lock()
	s.window.release(cost)
	s.mu.Unlock()
}

// response is a transaction response to a chunk of sd; it reports
// false when sd has no such chunk waiting.
func (sd *sender) response(f *msrp.Frame) bool {
	sd.mu.Lock()
	if sd.finished {
		sd.mu.Unlock()
		return false
	}
	cost, waiting := sd.inflight[f.TransactionID]
	if waiting {
		delete(sd.inflight, f.TransactionID)
		sd.outstanding--
	}
	failed := f.Err() != nil && (waiting || !sd.expect200)
	if failed && sd.err == nil {
		sd.err = &SendError{MessageID: sd.messageID, Code: f.Code, Comment: f.Comment}
	}
	sd.progress++
	sd.mu.Unlock()
	sd.giveBack(cost)
	sd.notify()
	return waiting || failed
}

// onWritten is told that a chunk that expects no 200 left the socket.
func (sd *sender) onWritten(n int, err error) {
	sd.mu.Lock()
	if !sd.finished {
		sd.outstanding--
		sd.progress++
		if err != nil && sd.err == nil {
			sd.err = err
		}
	}
	sd.mu.Unlock()
	sd.giveBack(n)
	sd.notify()
}

// reported is a REPORT for sd's message.
func (sd *sender) reported(f *msrp.Frame) {
	sd.mu.Lock()
	switch {
	case sd.finished:
	case f.Status.Code.Success():
		if f.ByteRange == nil || f.ByteRange.Total == msrp.Unknown || f.ByteRange.End == f.ByteRange.Total {
			sd.reportOK = true
		}
	case sd.err == nil:
		sd.err = &SendError{MessageID: sd.messageID, Code: f.Status.Code, Comment: f.Status.Comment, Report: true}
	}
	sd.progress++
	sd.mu.Unlock()
	sd.notify()
}

func (sd *sender) notify() {
	select {
	case sd.signal <- struct{}{}:
	default:
	}
}

func (sd *sender) failed() error {
	sd.mu.Lock()
	defer sd.mu.Unlock()
	return sd.err
}

// wait blocks until sd is signalled, wake closes, or the Send must stop:
// ctx, the session or the connection ended, or no progress for the
// transaction timeout.
func (sd *sender) wait(w *sendWait, wake <-chan struct{}) error {
	select {
	case <-sd.signal:
	case <-wake:
	case <-w.ctx.Done():
		return w.ctx.Err()
	case <-sd.s.done:
		return sd.s.endedErr()
	case <-sd.c.closing:
		return sd.c.closedErr()
	case <-w.tick:
		sd.mu.Lock()
		p := sd.progress
		sd.mu.Unlock()
		if p != w.seen {
			w.seen, w.idle = p, 0
			return nil
		}
		if w.idle++; w.idle >= 4 {
			return &SendError{MessageID: sd.messageID, Code: msrp.StatusTimeout, Comment: "no response within " + w.limit.String()}
		}
	}
	return nil
}

// waitOutstanding waits until every chunk is answered or written.
func (sd *sender) waitOutstanding(w *sendWait) error {
	for {
		sd.mu.Lock()
		err, left := sd.err, sd.outstanding
		sd.mu.Unlock()
		if err != nil {
			return err
		}
		if left == 0 {
			return nil
		}
		if err := sd.wait(w, nil); err != nil {
			return err
		}
	}
}

// waitReport waits for the success REPORT.
func (sd *sender) waitReport(ctx context.Context) error {
	limit := sd.s.e.cfg.ReportTimeout
	timer := time.NewTimer(limit)
	defer timer.Stop()
	for {
		sd.mu.Lock()
		err, ok := sd.err, sd.reportOK
		sd.mu.Unlock()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-sd.signal:
		case <-ctx.Done():
			return ctx.Err()
		case <-sd.s.done:
			return sd.s.endedErr()
		case <-timer.C:
			return &SendError{MessageID: sd.messageID, Code: msrp.StatusTimeout, Report: true,
				Comment: "no success report within " + limit.String()}
		}
	}
}

// abort sends a '#' chunk after n chunks of the message, sent bytes
// of total, went out, so that the receiver drops what it reassembled
// (RFC 4975 section 7.1.1). The abort expects no response.
func (sd *sender) abort(f *msrp.Frame, n int, sent, total int64) {
	if n == 0 {
		return
	}
	af := *f
	af.TransactionID = sd.tidPrefix + "-abort"
	af.ByteRange = &msrp.ByteRange{Start: sent + 1, End: sent, Total: total}
	af.ContentType, af.Body, af.Extra, af.Flag = "", nil, nil, msrp.FlagAbort
	if err := sd.c.send(&af); err != nil {
		sd.s.e.log.Debug("mediasession: abort chunk not sent", "message", sd.messageID, "error", err)
	}
}

// chunkSource yields a message body chunk by chunk.
type chunkSource struct {
	body  []byte    // whole body, or nil when streaming
	r     io.Reader // streamed body
	size  int64     // bytes r yields, or Unknown
	max   int
	off   int64 // bytes yielded so far
	buf   []byte
	peek  [1]byte
	peekd bool
}

func newChunkSource(m *Message, max int) *chunkSource {
	cs := &chunkSource{max: max}
	switch {
	case m.Body != nil || m.BodyReader == nil:
		cs.body, cs.size = m.Body, int64(len(m.Body))
	default:
		cs.r, cs.size = m.BodyReader, m.Size
		if cs.size == 0 {
			cs.size = msrp.Unknown
		}
	}
	return cs
}

// total is the Byte-Range total of the next chunk: the size when known,
// the bytes yielded once the last chunk is out.
func (cs *chunkSource) total(last bool) int64 {
	if cs.size != msrp.Unknown {
		return cs.size
	}
	if last {
		return cs.off
	}
	return msrp.Unknown
}

// next returns the next chunk, valid until the following call, and
// whether it is the last.
func (cs *chunkSource) next() ([]byte, bool, error) {
	if cs.r == nil {
		end := min(cs.off+int64(cs.max), cs.size)
		chunk := cs.body[cs.off:end]
		cs.off = end
		return chunk, end == cs.size, nil
	}
	if cs.buf == nil {
		cs.buf = make([]byte, cs.max)
	}
	if cs.size != msrp.Unknown {
		n := min(int64(cs.max), cs.size-cs.off)
		if _, err := io.ReadFull(cs.r, cs.buf[:n]); err != nil {
			return nil, false, fmt.Errorf("body ended at byte %d of %d: %w", cs.off, cs.size, err)
		}
		cs.off += n
		return cs.buf[:n], cs.off == cs.size, nil
	}
	return cs.nextUnsized()
}

// nextUnsized reads a chunk of a body of unknown size, looking one byte
// ahead to know whether it is the last.
func (cs *chunkSource) nextUnsized() ([]byte, bool, error) {
	k := 0
	if cs.peekd {
		cs.buf[0], cs.peekd, k = cs.peek[0], false, 1
	}
	n, err := io.ReadFull(cs.r, cs.buf[k:])
	n += k
	last := false
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		last = true
	case err != nil:
		return nil, false, err
	default:
		m, err := io.ReadFull(cs.r, cs.peek[:])
		switch {
		case m == 1:
			cs.peekd = true
		case errors.Is(err, io.EOF):
			last = true
		default:
			return nil, false, err
		}
	}
	cs.off += int64(n)
	return cs.buf[:n], last, nil
}
