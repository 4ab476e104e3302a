package mm7

import (
	"errors"
	"path/filepath"
	"testing"
)

// FuzzDecode checks that whatever Decode accepts re-encodes, decodes
// again and compares equal, and that whatever it refuses is refused with
// a *DecodeError. Seeds: testdata/fuzz/FuzzDecode and testdata/*.http.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.http")
	for _, file := range files {
		ct, body := readSample(f, file)
		f.Add(ct, body)
	}
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		m1, err := Decode(ct, body)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) || de.Status < 2000 {
				t.Fatalf("refusal without status: %v", err)
			}
			return
		}
		ct2, body2, err := Encode(m1, m1.Version)
		if err != nil {
			t.Fatalf("decoded message does not encode: %v", err)
		}
		m2, err := Decode(ct2, body2)
		if err != nil {
			t.Fatalf("re-encoded message refused: %v\n%s\n%q", err, ct2, body2)
		}
		if !deepEqual(m1, m2) {
			t.Fatalf("round trip differs:\n%#v\n%#v", m1, m2)
		}
	})
}
