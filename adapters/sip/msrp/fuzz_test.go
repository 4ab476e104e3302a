package msrp

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzFrame checks that whatever Unmarshal accepts marshals, and that the
// encoding decodes to an equal frame and re-encodes to the same bytes.
func FuzzFrame(f *testing.F) {
	f.Add([]byte(sendHead + "Content-Type: t/p\r\n\r\nx\r\n-------abcd1234$\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := Unmarshal(data, Config{})
		if err != nil {
			if !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrIncomplete) && !errors.Is(err, ErrTrailingData) &&
				!errors.Is(err, ErrHeaderTooLarge) && !errors.Is(err, ErrBodyTooLarge) {
				t.Fatalf("error wraps no sentinel: %v", err)
			}
			return
		}
		enc, err := fr.Marshal()
		if err != nil {
			t.Fatalf("decoded frame does not marshal: %v\n%#v", err, fr)
		}
		again, err := Unmarshal(enc, Config{})
		if err != nil {
			t.Fatalf("re-decode of %q: %v", enc, err)
		}
		if msg := frameDiff(fr, again); msg != "" {
			t.Fatalf("decode->encode->decode differs: %s", msg)
		}
		enc2, err := again.Marshal()
		if err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding not stable: %q vs %q (%v)", enc, enc2, err)
		}
	})
}

// FuzzReader checks that a Reader yields, from any stream, the same frames
// in the same order whether it reads everything at once or byte by byte,
// and that each frame round-trips.
func FuzzReader(f *testing.F) {
	f.Add([]byte(sendHead + "Content-Type: t/p\r\n\r\nx\r\n-------abcd1234$\r\n" +
		"MSRP abcd1234 200 OK\r\n" + toFrom + "-------abcd1234$\r\n"))
	f.Add([]byte(sendHead + "Content-Type: t/p\r\n\r\nx\r\n-------abcd1234$\r\n" +
		sendHead + "Content-Type: t/p\r\n\r\ny\r\n-------abcd1234$\r\n" +
		"MSRP abcd1234 200 OK\r\n" + toFrom + "-------abcd1234$\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		whole := readAll(NewReader(bytes.NewReader(data), Config{}))
		bytewise := readAll(NewReader(&oneByte{data}, Config{}))
		uncached := readAllUncached(NewReader(bytes.NewReader(data), Config{}))
		if len(whole.frames) != len(bytewise.frames) || !sameError(whole.err, bytewise.err) {
			t.Fatalf("whole: %d frames, %v; byte by byte: %d frames, %v",
				len(whole.frames), whole.err, len(bytewise.frames), bytewise.err)
		}
		if len(whole.frames) != len(uncached.frames) || !sameError(whole.err, uncached.err) {
			t.Fatalf("with the path cache: %d frames, %v; without: %d frames, %v",
				len(whole.frames), whole.err, len(uncached.frames), uncached.err)
		}
		for i, fr := range whole.frames {
			if msg := frameDiff(fr, bytewise.frames[i]); msg != "" {
				t.Fatalf("frame %d differs: %s", i, msg)
			}
			if msg := frameDiff(fr, uncached.frames[i]); msg != "" {
				t.Fatalf("frame %d differs without the path cache: %s", i, msg)
			}
			assertRoundTrip(t, fr)
		}
	})
}

type readResult struct {
	frames []*Frame
	err    error
}

func readAll(r *Reader) readResult { return readFrames(r, false) }

// readAllUncached reads like readAll with the Reader's path cache emptied
// before each frame, so that every path is parsed from its header line.
func readAllUncached(r *Reader) readResult { return readFrames(r, true) }

func readFrames(r *Reader, uncached bool) readResult {
	var res readResult
	for len(res.frames) < 1000 {
		if uncached {
			r.headers = headerCache{}
		}
		f, err := r.ReadFrame()
		if err != nil {
			res.err = err
			return res
		}
		res.frames = append(res.frames, f)
	}
	return res
}

func sameError(a, b error) bool {
	for _, s := range []error{io.EOF, ErrIncomplete, ErrSyntax, ErrHeaderTooLarge, ErrBodyTooLarge} {
		if errors.Is(a, s) != errors.Is(b, s) {
			return false
		}
	}
	return true
}

// oneByte is an io.Reader that returns one byte per Read.
type oneByte struct{ b []byte }

func (o *oneByte) Read(p []byte) (int, error) {
	if len(o.b) == 0 {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	p[0], o.b = o.b[0], o.b[1:]
	return 1, nil
}
