package mms

import (
	"bytes"
	"io"
	"sync"
	"sync/atomic"
)

// requestBuffers hold the MM7 bodies the VASP posts, each kept while it is
// at most maxPooledRequest bytes. A 1 MB MMS is a 1.33 MB body; allocating
// it afresh for each submit, zeroed and then collected, cost iwf more than
// encoding it.
var requestBuffers = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledRequest = 4 << 20

// requestBody is one encoded MM7 body on its way to the relay. Its buffer
// goes back to requestBuffers once nothing can read it any more: the
// exchange that made it has ended and every reader net/http took (the
// request's Body, and any from GetBody for a retry) is closed. net/http
// may read a request body after RoundTrip returns, until it closes it.
type requestBody struct {
	buf  *[]byte
	refs atomic.Int32
}

// newRequestBody takes a buffer from the pool for encode to append to,
// and keeps what it appended; the caller holds one reference.
func newRequestBody(encode func(dst []byte) ([]byte, error)) (*requestBody, []byte, error) {
	b := &requestBody{buf: requestBuffers.Get().(*[]byte)}
	b.refs.Store(1)
	out, err := encode((*b.buf)[:0])
	*b.buf = out
	if err != nil {
		b.release()
		return nil, nil, err
	}
	return b, out, nil
}

// reader returns a reader of the body holding a reference, which Close
// releases.
func (b *requestBody) reader() io.ReadCloser {
	b.refs.Add(1)
	return &bodyReader{Reader: bytes.NewReader(*b.buf), body: b}
}

// release drops one reference; the last returns the buffer to the pool.
func (b *requestBody) release() {
	if b.refs.Add(-1) != 0 {
		return
	}
	if cap(*b.buf) <= maxPooledRequest {
		requestBuffers.Put(b.buf)
	}
}

// bodyReader reads a requestBody; it keeps bytes.Reader's WriteTo, so
// that the body goes to the connection in one write.
type bodyReader struct {
	*bytes.Reader
	body *requestBody
	once sync.Once
}

func (r *bodyReader) Close() error {
	r.once.Do(r.body.release)
	return nil
}
