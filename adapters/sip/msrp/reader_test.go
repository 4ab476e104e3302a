package msrp

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func goldenStream(t *testing.T) ([]byte, []*Frame) {
	frames := goldenFrames(t)
	names := []string{"rfc4975_7.1.1_send.msrp", "rfc4975_7.1.1_200ok.msrp", "rfc4975_7.1.2_send.msrp",
		"rfc4975_7.1.2_report.msrp", "rfc4975_5.1_chunk1.msrp", "rfc4975_5.1_chunk2.msrp"}
	var stream []byte
	var want []*Frame
	for _, n := range names {
		stream = append(stream, readGolden(t, n)...)
		want = append(want, frames[n])
	}
	return stream, want
}

func TestReaderSplitsStream(t *testing.T) {
	stream, want := goldenStream(t)
	sources := map[string]func() io.Reader{
		"whole":    func() io.Reader { return bytes.NewReader(stream) },
		"one byte": func() io.Reader { return iotest.OneByteReader(bytes.NewReader(stream)) },
		"half":     func() io.Reader { return iotest.HalfReader(bytes.NewReader(stream)) },
		"data+EOF": func() io.Reader { return iotest.DataErrReader(bytes.NewReader(stream)) },
	}
	for name, src := range sources {
		t.Run(name, func(t *testing.T) {
			r := NewReader(src(), Config{})
			for i, w := range want {
				f, err := r.ReadFrame()
				if err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
				if msg := frameDiff(f, w); msg != "" {
					t.Fatalf("frame %d: %s", i, msg)
				}
			}
			if f, err := r.ReadFrame(); err != io.EOF {
				t.Fatalf("after last frame: %v, %v; want io.EOF", f, err)
			}
		})
	}
}

func TestReaderBodyIsOwned(t *testing.T) {
	stream, _ := goldenStream(t)
	r := NewReader(bytes.NewReader(stream), Config{})
	f, err := r.ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	for i := range stream {
		stream[i] = 'X'
	}
	if string(f.Body) != "Hey Bob, are you there?" {
		t.Fatalf("body changed with the input buffer: %q", f.Body)
	}
}

func TestReaderEndLineAcrossReads(t *testing.T) {
	// The body holds almost-end-lines; one-byte reads split every one.
	body := "\r\n-------abcd123\r\n-------abcd1234X\r\n------abcd1234$"
	wire := sendHead + "Content-Type: t/p\r\n\r\n" + body + "\r\n-------abcd1234+\r\n"
	r := NewReader(iotest.OneByteReader(strings.NewReader(wire+wire)), Config{})
	for i := 0; i < 2; i++ {
		f, err := r.ReadFrame()
		if err != nil || string(f.Body) != body || f.Flag != FlagMore {
			t.Fatalf("frame %d: %v, %v", i, f, err)
		}
	}
}

func TestReaderErrors(t *testing.T) {
	long := sendHead + "Content-Type: t/p\r\n\r\n" + strings.Repeat("b", 5000) + "\r\n-------abcd1234$\r\n"
	tests := []struct {
		name, wire string
		cfg        Config
		want       error
	}{
		{"ends mid-frame", sendHead + "Content-Type: t/p\r\n\r\nabc", Config{}, ErrIncomplete},
		{"ends mid-end-line", sendHead + "-------abcd12", Config{}, ErrIncomplete},
		{"garbage", "GET / HTTP/1.1\r\n\r\n", Config{}, ErrSyntax},
		{"endless header line", "MSRP abcd1234 SEND\r\nX: " + strings.Repeat("y", 300), Config{MaxHeaderBytes: 256}, ErrHeaderTooLarge},
		{"endless body", sendHead + "Content-Type: t/p\r\n\r\n" + strings.Repeat("b", 5000), Config{MaxBodyBytes: 4096}, ErrBodyTooLarge},
		{"long body", long, Config{MaxBodyBytes: 4096}, ErrBodyTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(strings.NewReader(tt.wire), tt.cfg)
			_, err := r.ReadFrame()
			if !errors.Is(err, tt.want) {
				t.Fatalf("ReadFrame: %v, want %v", err, tt.want)
			}
			if _, again := r.ReadFrame(); again != err {
				t.Fatalf("second ReadFrame: %v, want the same error %v", again, err)
			}
		})
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func TestReaderSourceErrors(t *testing.T) {
	boom := errors.New("connection reset")
	if _, err := NewReader(errReader{boom}, Config{}).ReadFrame(); !errors.Is(err, boom) {
		t.Fatalf("read error: %v", err)
	}
	if _, err := NewReader(errReader{nil}, Config{}).ReadFrame(); !errors.Is(err, io.ErrNoProgress) {
		t.Fatalf("reader returning 0, nil: %v", err)
	}
}

// TestReaderReusesPaths: chunks of one session carry the same path
// header lines, which the Reader parses once; a different line is parsed
// afresh, and a duplicate path header is still refused.
func TestReaderReusesPaths(t *testing.T) {
	other := "MSRP abcd1234 SEND\r\nTo-Path: msrp://carol.example.com:8888/x9;tcp\r\n" +
		"From-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp\r\nMessage-ID: m1234567\r\n"
	chunk := func(head, body string) string {
		return head + "Content-Type: t/p\r\n\r\n" + body + "\r\n-------abcd1234$\r\n"
	}
	stream := chunk(sendHead, "a") + chunk(sendHead, "b") + chunk(other, "c")
	r := NewReader(strings.NewReader(stream), Config{})
	var frames []*Frame
	for range 3 {
		f, err := r.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, f)
	}
	if &frames[0].ToPath[0] != &frames[1].ToPath[0] || &frames[0].FromPath[0] != &frames[1].FromPath[0] {
		t.Error("the second chunk's paths were parsed again")
	}
	if frames[2].ToPath[0].Host != "carol.example.com" || &frames[2].FromPath[0] != &frames[0].FromPath[0] {
		t.Errorf("third chunk: To-Path %v, From-Path shared %t", frames[2].ToPath, &frames[2].FromPath[0] == &frames[0].FromPath[0])
	}
	dup := "MSRP abcd1234 SEND\r\n" + toFrom + "To-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp\r\nMessage-ID: m1\r\n"
	r = NewReader(strings.NewReader(chunk(sendHead, "a")+chunk(dup, "b")), Config{})
	if _, err := r.ReadFrame(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ReadFrame(); !errors.Is(err, ErrDuplicateHeader) {
		t.Errorf("duplicate To-Path after a cached one: %v, want ErrDuplicateHeader", err)
	}
}

// TestReadFrameBuffered: the body of a buffered read is the frame's bytes
// in the Reader's buffer, with the same frame ReadFrame gives; ReadFrame's
// own body survives later reads.
func TestReadFrameBuffered(t *testing.T) {
	chunk := func(body string) string {
		return sendHead + "Content-Type: t/p\r\n\r\n" + body + "\r\n-------abcd1234$\r\n"
	}
	stream := chunk("first body") + chunk("second body")
	r := NewReader(strings.NewReader(stream), Config{})
	f, err := r.ReadFrameBuffered()
	if err != nil || string(f.Body) != "first body" || f.MessageID != "m1234567" {
		t.Fatalf("buffered read: %+v, %v", f, err)
	}
	owned, err := r.ReadFrame()
	if err != nil || string(owned.Body) != "second body" {
		t.Fatalf("read: %+v, %v", owned, err)
	}
	if _, err := r.ReadFrameBuffered(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the stream: %v, want io.EOF", err)
	}
	if string(owned.Body) != "second body" {
		t.Errorf("ReadFrame's body changed after a later read: %q", owned.Body)
	}
}
