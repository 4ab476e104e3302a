package mediasession

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/iwf-gateway/iwf/adapters/sip/msrp"
)

// conn is one TCP or TLS connection of an Endpoint, accepted or dialled.
// It carries the sessions bound to it (RFC 4975 section 5.4: several
// sessions may share a connection to the same authority).
//
// One reader goroutine decodes frames and hands requests to the Endpoint
// and responses to the transaction that waits for them. Writes go through
// a FIFO queue drained by a writer goroutine that runs only while the
// queue is not empty, so the reader never blocks on a peer that does not
// read: two endpoints sending large messages to each other both keep
// reading. Senders bound what they queue (Session window), the reader
// bounds the responses it queues (maxQueuedResponses).
type conn struct {
	e       *Endpoint
	nc      net.Conn
	key     string // reuse key of a dialled connection, "" when accepted
	secure  bool
	remote  string
	closing chan struct{} // closed when the connection is being closed

	wmu      sync.Mutex
	queue    []outFrame
	queued   int  // bytes in queue
	writing  bool // a writer goroutine runs
	wclosed  bool // no more writes; set under wmu before the socket closes
	wspace   chan struct{}
	flushed  chan struct{} // closed when the writer empties the queue, if set
	batch    net.Buffers   // the writer's scratch, reused
	doneList []outFrame

	tmu sync.Mutex
	tx  map[string]*sender // Sends waiting for responses, by transaction id prefix

	closeOnce sync.Once
	err       error // why it closed; read after closing is closed

	// Guarded by Endpoint.mu.
	sessions  int   // sessions bound to the connection
	refs      int   // Connect calls using it before their session binds
	idleSince int64 // Endpoint clock when sessions and refs dropped to 0
}

// outFrame is one encoded frame waiting in a connection's write queue.
type outFrame struct {
	b    *[]byte              // from framePool
	n    int                  // passed to done
	done func(n int, e error) // called once written (nil) or dropped; may be nil
}

// tidPrefixLen is the length of the random prefix a Send gives the
// transaction ids of its chunks; responses find their Send by it.
const tidPrefixLen = 16

// maxQueuedResponses bounds the bytes the reader may queue for writing
// before it stops reading: a peer that sends requests but never reads
// our responses is made to wait by TCP flow control, not buffered.
const maxQueuedResponses = 256 << 10

// framePool holds encode buffers of one chunk plus headers.
var framePool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

func getFrameBuf() *[]byte { return framePool.Get().(*[]byte) }

func putFrameBuf(b *[]byte) {
	if cap(*b) > 1<<20 {
		return // keep the pool to chunk-sized buffers
	}
	*b = (*b)[:0]
	framePool.Put(b)
}

func newConn(e *Endpoint, nc net.Conn, key string, secure bool) *conn {
	return &conn{
		e: e, nc: nc, key: key, secure: secure,
		remote:  nc.RemoteAddr().String(),
		closing: make(chan struct{}),
		wspace:  make(chan struct{}, 1),
		tx:      make(map[string]*sender),
	}
}

// readLoop decodes frames until the connection fails or closes.
func (c *conn) readLoop() {
	r := msrp.NewReader(c.nc, c.e.cfg.Limits)
	for {
		// A SEND's body is copied into its message's reassembly before the
		// next read, and the frame kept for the message's last chunk has
		// its body dropped first (handleSend): it need not be copied out
		// of the reader's buffer. Other frames keep a copy.
		f, err := r.ReadFrameBuffered()
		if err == nil && f.Method != msrp.MethodSEND && len(f.Body) > 0 {
			f.Body = bytes.Clone(f.Body)
		}
		if err != nil {
			select {
			case <-c.closing: // closed by iwf
			default:
				if errors.Is(err, io.EOF) {
					err = ErrConnectionLost
				} else if errors.Is(err, msrp.ErrSyntax) || errors.Is(err, msrp.ErrIncomplete) ||
					errors.Is(err, msrp.ErrHeaderTooLarge) || errors.Is(err, msrp.ErrBodyTooLarge) {
					c.e.log.Warn("mediasession: closing connection after a bad frame", "remote", c.remote, "error", err)
				}
			}
			c.close(err)
			return
		}
		if f.IsResponse() {
			c.deliverResponse(f)
			continue
		}
		c.e.handleRequest(c, f)
		c.waitResponseSpace()
	}
}

// waitResponseSpace blocks the reader while too many bytes wait to be
// written, until the writer drains them or the connection closes.
func (c *conn) waitResponseSpace() {
	for {
		c.wmu.Lock()
		full := c.queued > maxQueuedResponses && !c.wclosed
		c.wmu.Unlock()
		if !full {
			return
		}
		select {
		case <-c.wspace:
		case <-c.closing:
			return
		}
	}
}

func (c *conn) deliverResponse(f *msrp.Frame) {
	var sd *sender
	if tid := f.TransactionID; len(tid) > tidPrefixLen {
		c.tmu.Lock()
		sd = c.tx[tid[:tidPrefixLen]]
		c.tmu.Unlock()
	}
	if sd == nil || !sd.response(f) {
		// A relay answering a Failure-Report: no request, or a response
		// that came after its sender gave up: nothing waits for it.
		c.e.log.Debug("mediasession: response to no pending transaction", "tid", f.TransactionID, "code", int(f.Code), "remote", c.remote)
	}
}

// await routes the responses to transactions whose id starts with
// prefix to sd.
func (c *conn) await(prefix string, sd *sender) {
	c.tmu.Lock()
	c.tx[prefix] = sd
	c.tmu.Unlock()
}

// forget stops routing responses for the given prefixes.
func (c *conn) forget(prefixes []string) {
	c.tmu.Lock()
	for _, p := range prefixes {
		delete(c.tx, p)
	}
	c.tmu.Unlock()
}

// send encodes f and queues it.
func (c *conn) send(f *msrp.Frame) error {
	b := getFrameBuf()
	enc, err := f.AppendMarshal((*b)[:0])
	if err != nil {
		putFrameBuf(b)
		return err
	}
	*b = enc
	return c.enqueue(outFrame{b: b})
}

// enqueue adds an encoded frame to the write queue and starts the
// writer if none runs.
func (c *conn) enqueue(o outFrame) error {
	c.wmu.Lock()
	if c.wclosed {
		c.wmu.Unlock()
		putFrameBuf(o.b)
		return c.closedErr()
	}
	c.queue = append(c.queue, o)
	c.queued += len(*o.b)
	start := !c.writing
	c.writing = true
	c.wmu.Unlock()
	if start {
		c.e.goroutines.Go(c.writeLoop)
	}
	return nil
}

// writeLoop writes the queue in batches (one writev per batch on TCP)
// and exits when the queue is empty.
func (c *conn) writeLoop() {
	for {
		c.wmu.Lock()
		if len(c.queue) == 0 || c.wclosed {
			c.writing = false
			if c.flushed != nil {
				close(c.flushed)
				c.flushed = nil
			}
			c.wmu.Unlock()
			return
		}
		todo := c.doneList[:0]
		todo = append(todo, c.queue...)
		clear(c.queue)
		c.queue = c.queue[:0]
		n := c.queued
		c.wmu.Unlock()

		err := c.writeBatch(todo)
		c.wmu.Lock()
		c.queued -= n
		c.wmu.Unlock()
		select {
		case c.wspace <- struct{}{}:
		default:
		}
		for i := range todo {
			putFrameBuf(todo[i].b)
			if todo[i].done != nil {
				todo[i].done(todo[i].n, err)
			}
		}
		clear(todo)
		c.doneList = todo[:0]
		if err != nil {
			c.close(err)
			return
		}
	}
}

func (c *conn) writeBatch(todo []outFrame) error {
	bufs := c.batch[:0]
	for _, o := range todo {
		bufs = append(bufs, *o.b)
	}
	c.batch = bufs[:0]
	_ = c.nc.SetWriteDeadline(time.Now().Add(c.e.cfg.WriteTimeout))
	_, err := bufs.WriteTo(c.nc)
	clear(c.batch[:cap(c.batch)])
	if err != nil {
		return errors.Join(ErrConnectionLost, err)
	}
	return nil
}

// waitFlushed waits until everything queued is written, the connection
// closes or ctx ends.
func (c *conn) waitFlushed(ctx context.Context) {
	for {
		c.wmu.Lock()
		if !c.writing || c.wclosed {
			c.wmu.Unlock()
			return
		}
		if c.flushed == nil {
			c.flushed = make(chan struct{})
		}
		ch := c.flushed
		c.wmu.Unlock()
		select {
		case <-ch:
		case <-c.closing:
			return
		case <-ctx.Done():
			return
		}
	}
}

// close shuts the connection once: it stops the writer, closes the
// socket, fails the transactions waiting on it and ends its sessions.
func (c *conn) close(cause error) {
	c.closeOnce.Do(func() {
		c.err = cause
		close(c.closing)
		c.wmu.Lock()
		c.wclosed = true
		dropped := c.queue
		c.queue = nil
		c.wmu.Unlock()
		c.nc.Close()
		for _, o := range dropped {
			putFrameBuf(o.b)
			if o.done != nil {
				o.done(o.n, c.closedErr())
			}
		}
		c.tmu.Lock()
		c.tx = map[string]*sender{}
		c.tmu.Unlock()
		c.e.connClosed(c)
		c.e.log.Debug("mediasession: connection closed", "remote", c.remote, "cause", cause)
	})
}

// closedErr is the error operations on a closed connection return.
func (c *conn) closedErr() error {
	select {
	case <-c.closing:
		if c.err != nil && !errors.Is(c.err, ErrConnectionLost) && !errors.Is(c.err, ErrClosed) {
			return errors.Join(ErrConnectionLost, c.err)
		}
		if c.err != nil {
			return c.err
		}
	default:
	}
	return ErrConnectionLost
}
