package mms

import (
	"errors"
	"io"
	"testing"
)

// TestRequestBodyReleasedLast: the buffer of a request body is released
// only when the exchange has ended and every reader net/http took is
// closed, whatever the order; a reader closed twice releases once.
func TestRequestBodyReleasedLast(t *testing.T) {
	b, body, err := newRequestBody(func(dst []byte) ([]byte, error) { return append(dst, "mm7 body"...), nil })
	if err != nil || string(body) != "mm7 body" {
		t.Fatalf("newRequestBody = %q, %v", body, err)
	}
	first, retry := b.reader(), b.reader()
	got, err := io.ReadAll(first)
	if err != nil || string(got) != "mm7 body" {
		t.Fatalf("reader = %q, %v", got, err)
	}
	first.Close()
	first.Close()
	b.release() // the exchange ends while net/http still holds the retry's reader
	if n := b.refs.Load(); n != 1 {
		t.Fatalf("%d references with the retry's reader open, want 1", n)
	}
	retry.Close()
	if n := b.refs.Load(); n != 0 {
		t.Errorf("%d references after the last close, want 0", n)
	}
	failed := errors.New("encode failed")
	if _, _, err := newRequestBody(func(dst []byte) ([]byte, error) { return dst, failed }); !errors.Is(err, failed) {
		t.Errorf("a failed encoding: %v", err)
	}
}
