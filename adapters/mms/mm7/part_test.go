package mm7

import (
	"bytes"
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
