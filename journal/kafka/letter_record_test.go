package kafka

import (
	"bytes"
	"errors"
	"testing"
)

// TestLetterGolden decodes testdata/letter_record_v1.hex field by field
// and encodes it back to the same bytes.
func TestLetterGolden(t *testing.T) {
	b := readHex(t, "testdata/letter_record_v1.hex")
	r, err := decodeLetter(b)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if r.sender != 0x0102030405060708 || string(r.data) != "hello" {
		t.Errorf("decoded %+v", r)
	}
	if again := appendLetter(nil, r); !bytes.Equal(again, b) {
		t.Errorf("re-encoded % x, want % x", again, b)
	}
}

func TestLetterDecodeErrors(t *testing.T) {
	header := []byte{1, 0, 0, 0, 0, 0, 0, 0, 0, 9}
	cases := map[string][]byte{
		"empty":     nil,
		"truncated": header[:9],
		"version":   append([]byte{2}, header[1:]...),
		"flags":     append([]byte{1, 1}, header[2:]...),
		"too large": append(append([]byte(nil), header...), make([]byte, MaxDataSize+1)...),
	}
	for name, b := range cases {
		if _, err := decodeLetter(b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: decode = %v, want ErrCorrupt", name, err)
		}
	}
	r, err := decodeLetter(header)
	if err != nil || r.data != nil || r.sender != 9 {
		t.Errorf("a letter without data = %+v, %v", r, err)
	}
	in := append(append([]byte(nil), header...), 'x')
	r, _ = decodeLetter(in)
	in[letterHeaderLen] = 'y'
	if string(r.data) != "x" {
		t.Error("decoded data shares memory with the record")
	}
}

// FuzzLetter checks that a letters-topic value that decodes re-encodes to
// the same bytes and respects the bounds.
func FuzzLetter(f *testing.F) {
	f.Add(appendLetter(nil, letterRecord{sender: 1, data: []byte("letter")}))
	f.Add(appendLetter(nil, letterRecord{}))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeLetter(b)
		if err != nil {
			return
		}
		if len(r.data) > MaxDataSize {
			t.Fatalf("data of %d bytes decoded", len(r.data))
		}
		if again := appendLetter(nil, r); !bytes.Equal(again, b) {
			t.Fatalf("re-encoding changed % x to % x", b, again)
		}
	})
}
