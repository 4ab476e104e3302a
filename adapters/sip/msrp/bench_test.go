package msrp

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

func send2K(b *testing.B) []byte {
	f := validFrame(b)
	f.ByteRange = &ByteRange{1, 2048, 2048}
	f.Body = []byte(strings.Repeat("0123456789abcdef", 128))
	wire, err := f.Marshal()
	if err != nil {
		b.Fatal(err)
	}
	return wire
}

func BenchmarkUnmarshalSend2K(b *testing.B) {
	wire := send2K(b)
	b.SetBytes(int64(len(wire)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Unmarshal(wire, Config{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMarshalSend2K(b *testing.B) {
	f, err := Unmarshal(send2K(b), Config{})
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 4096)
	b.SetBytes(int64(len(f.Body)))
	b.ReportAllocs()
	for b.Loop() {
		if buf, err = f.AppendMarshal(buf[:0]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReaderSend2K(b *testing.B) {
	wire := bytes.Repeat(send2K(b), 64)
	b.SetBytes(int64(len(wire)))
	b.ReportAllocs()
	for b.Loop() {
		r := NewReader(bytes.NewReader(wire), Config{})
		for range 64 {
			if _, err := r.ReadFrame(); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkChunkReassemble1MB splits 1 MiB into 2 KiB SEND chunks,
// marshals and decodes each, and reassembles them in order.
func BenchmarkChunkReassemble1MB(b *testing.B) {
	body := bytes.Repeat([]byte("0123456789abcdef"), 1<<16)
	tmpl := validFrame(b)
	tids := make([]string, len(body)/2048+1)
	for i := range tids {
		tids[i] = fmt.Sprintf("tid%05d", i)
	}
	c := Chunker{Size: 2048, TransactionID: func(n int) string { return tids[n] }}
	wire := make([]byte, 0, 4096)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		chunks, err := c.Split(tmpl, body)
		if err != nil {
			b.Fatal(err)
		}
		r := NewReassembler(tmpl.MessageID, Config{})
		for _, ch := range chunks {
			if wire, err = ch.AppendMarshal(wire[:0]); err != nil {
				b.Fatal(err)
			}
			f, err := Unmarshal(wire, Config{})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := r.Add(f); err != nil {
				b.Fatal(err)
			}
		}
		if !r.Done() {
			b.Fatal("not reassembled")
		}
	}
}
