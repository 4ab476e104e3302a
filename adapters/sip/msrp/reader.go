package msrp

import (
	"errors"
	"fmt"
	"io"
)

// readSize is how much a Reader asks its source for at a time.
const readSize = 32 << 10

// Reader splits MSRP frames off a byte stream, such as one TCP or TLS
// connection of a session. It reads no further than it must, bounds every
// frame by its Config, and returns frames whose Body it owns. A frame
// with the To-Path or From-Path line of the frame before, in the same
// place, shares that frame's parsed path: paths are read-only.
//
// After an error other than io.EOF the stream is out of step: the Reader
// returns the same error again and the caller should close the
// connection, answering 400 first where a transaction id is known.
type Reader struct {
	src io.Reader
	cfg Config
	buf []byte // unconsumed input is buf[off:]
	off int
	eof bool  // src returned io.EOF
	err error // sticky decoding or read error

	headers headerCache
}

// NewReader returns a Reader of src. A zero cfg means the defaults.
func NewReader(src io.Reader, cfg Config) *Reader {
	return &Reader{src: src, cfg: cfg.WithDefaults()}
}

// ReadFrame returns the next frame. It returns io.EOF when the stream ends
// between frames and an error wrapping ErrIncomplete when it ends inside
// one.
func (r *Reader) ReadFrame() (*Frame, error) {
	f, err := r.ReadFrameBuffered()
	if err == nil {
		f.Body = cloneBytes(f.Body)
	}
	return f, err
}

// ReadFrameBuffered is ReadFrame without the copy of the body: the frame's
// Body is a slice of the Reader's buffer, valid only until the next read.
// A caller that copies the body where it belongs (a reassembly buffer)
// saves a copy of every byte received.
func (r *Reader) ReadFrameBuffered() (*Frame, error) {
	if r.err != nil {
		return nil, r.err
	}
	s := frameScanner{headers: &r.headers}
	for {
		f, n, err := s.scan(r.buf[r.off:], r.cfg)
		if err == nil {
			r.off += n
			return f, nil
		}
		if !errors.Is(err, errPartial) {
			r.err = err
			return nil, err
		}
		if err := r.fill(); err != nil {
			r.err = err
			return nil, err
		}
	}
}

// fill reads more input, compacting the buffer first.
func (r *Reader) fill() error {
	if r.eof {
		if r.off == len(r.buf) {
			return io.EOF
		}
		return fmt.Errorf("%w: stream ended after %d bytes of a frame", ErrIncomplete, len(r.buf)-r.off)
	}
	if r.off > 0 {
		n := copy(r.buf, r.buf[r.off:])
		r.buf = r.buf[:n]
		r.off = 0
	}
	if cap(r.buf)-len(r.buf) < readSize {
		grown := make([]byte, len(r.buf), 2*cap(r.buf)+readSize)
		copy(grown, r.buf)
		r.buf = grown
	}
	var n int
	var err error
	for empty := 0; n == 0 && err == nil; empty++ {
		if empty == 100 {
			return fmt.Errorf("msrp: read: %w", io.ErrNoProgress)
		}
		n, err = r.src.Read(r.buf[len(r.buf) : len(r.buf)+readSize])
	}
	r.buf = r.buf[:len(r.buf)+n]
	switch {
	case errors.Is(err, io.EOF):
		r.eof = true
	case err != nil:
		return fmt.Errorf("msrp: read: %w", err)
	}
	return nil
}

func cloneBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}
