package console

import (
	"bufio"
	"net"
	"net/http"
	"sync"
)

// maxBatchBytes bounds what a client's writer gathers before one write;
// past it the buffer is written at once.
const maxBatchBytes = 256 << 10

// batchConn lets a client's writer hand the kernel many websocket frames in
// one write: between cork and flush, gorilla's writes (each a complete frame,
// serialised by gorilla) are gathered in memory. At thousands of events a
// second a write per frame would cost a system call per row per client.
// Writes outside cork/flush (the handshake, control frames from the reader
// goroutine) go straight through.
type batchConn struct {
	net.Conn
	mu     sync.Mutex
	corked bool
	buf    []byte
}

func (c *batchConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.corked {
		return c.Conn.Write(p)
	}
	c.buf = append(c.buf, p...)
	if len(c.buf) >= maxBatchBytes {
		if err := c.writeOut(); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

func (c *batchConn) cork() {
	c.mu.Lock()
	c.corked = true
	c.mu.Unlock()
}

// flush writes what was gathered since cork and goes back to writing
// through.
func (c *batchConn) flush() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.corked = false
	return c.writeOut()
}

func (c *batchConn) writeOut() error {
	if len(c.buf) == 0 {
		return nil
	}
	_, err := c.Conn.Write(c.buf)
	if cap(c.buf) > maxBatchBytes*2 {
		c.buf = nil // a burst's buffer is not kept for ever
	} else {
		c.buf = c.buf[:0]
	}
	return err
}

// batchingWriter gives the websocket upgrader a batchConn in place of the
// hijacked connection.
type batchingWriter struct {
	http.ResponseWriter
	conn *batchConn
}

func (w *batchingWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	w.conn = &batchConn{Conn: conn}
	return w.conn, brw, nil
}
