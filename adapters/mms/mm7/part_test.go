package mm7

import (
	"bytes"
	stdbase64 "encoding/base64"
	"errors"
	"testing"
)

// TestDecodeBase64 reads base64 in the line forms encoders use, with the
// white space RFC 2045 6.8 says a decoder ignores, and refuses what is not
// base64.
func TestDecodeBase64(t *testing.T) {
	want := []byte("MM7 image bytes \x00\xff\x10 and more of them")
	for _, tc := range []struct{ name, in string }{
		{"one line", "TU03IGltYWdlIGJ5dGVzIAD/ECBhbmQgbW9yZSBvZiB0aGVt"},
		{"CRLF lines", "TU03IGltYWdlIGJ5dGVz\r\nIAD/ECBhbmQgbW9yZSBv\r\nZiB0aGVt\r\n"},
		{"LF lines", "TU03IGltYWdlIGJ5dGVz\nIAD/ECBhbmQgbW9yZSBv\nZiB0aGVt"},
		{"spaces and tabs at line ends", "TU03IGltYWdlIGJ5dGVz \r\n\tIAD/ECBhbmQgbW9yZSBv\t\r\n Zi B0 aGVt  "},
	} {
		got, err := decodeTransfer("base64", []byte(tc.in))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: got %q, %v; want %q", tc.name, got, err, want)
		}
	}
	// A short line within the first 78 bytes of a body whose 77th and
	// 78th bytes are a CRLF: the line-at-a-time fast path takes the 76
	// bytes whole, line end included.
	src := bytes.Repeat([]byte{0xfb, 0x01, 'x'}, 60)
	enc := stdbase64.StdEncoding.EncodeToString(src)
	odd := enc[:20] + "\r\n" + enc[20:74] + "\r\n" + enc[74:150] + "\r\n" + enc[150:]
	if got, err := decodeTransfer("base64", []byte(odd)); err != nil || !bytes.Equal(got, src) {
		t.Errorf("short lines: got %d bytes, %v", len(got), err)
	}
	padded, err := decodeTransfer("base64", []byte("QQ==\r\n"))
	if err != nil || string(padded) != "A" {
		t.Errorf("padded: got %q, %v", padded, err)
	}
	for _, bad := range []string{"TU03*IGlt", "QQ=", "QQ==QQ==", "T\xc3\xa9st"} {
		if _, err := decodeTransfer("base64", []byte(bad)); !errors.Is(err, ErrTransferEncoding) {
			t.Errorf("%q: got %v, want ErrTransferEncoding", bad, err)
		}
	}
}

// FuzzDecodeBase64 checks decodeBase64 against encoding/base64 reading
// the same text without its white space: both refuse, or both give the
// same bytes.
func FuzzDecodeBase64(f *testing.F) {
	f.Add([]byte("TU03IGltYWdlIGJ5dGVz\r\nIAD/ECBhbmQgbW9yZSBv\r\nZiB0aGVt\r\n"))
	f.Add([]byte("QQ==\r\nQQ=="))
	f.Add([]byte("Zi B0 aGVt \t\r\n"))
	f.Add([]byte("QUJD\nRA\n=="))
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := decodeBase64(in)
		clean := bytes.Map(func(r rune) rune {
			if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
				return -1
			}
			return r
		}, in)
		want, wantErr := stdbase64.StdEncoding.DecodeString(string(clean))
		if (err != nil) != (wantErr != nil) || (err == nil && !bytes.Equal(got, want)) {
			t.Fatalf("%q: got %q, %v; encoding/base64 %q, %v", in, got, err, want, wantErr)
		}
	})
}
