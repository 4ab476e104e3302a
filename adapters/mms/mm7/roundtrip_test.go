package mm7

import "testing"

// checkRoundTrip decodes, re-encodes in the same version and decodes
// again, and requires the two decodings to be equal.
func checkRoundTrip(t testing.TB, lim Limits, ct string, body []byte) {
	t.Helper()
	m1, err := lim.Decode(ct, body)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	ct2, body2, err := Encode(m1, m1.Version)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	m2, err := lim.Decode(ct2, body2)
	if err != nil {
		t.Fatalf("decode again: %v\n%s\n%s", err, ct2, body2)
	}
	if !deepEqual(m1, m2) {
		t.Fatalf("round trip differs:\n%+v\n%+v", m1, m2)
	}
}
