package console

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// FuzzDecodeReplay: what decodes is within the bounds of the contract and
// re-encodes to a request that decodes to the same value.
func FuzzDecodeReplay(f *testing.F) {
	for _, seed := range []string{
		`{"seqs":[1,2],"route":""}`,
		`{"seqs":[18446744073709551615],"route":"smsc1"}`,
		`{"seqs":[]}`,
		`{"seqs":[0]}`,
		`{"seqs":[1],"extra":true}`,
		`{"seqs":[1]} {"seqs":[2]}`,
		`{"seqs":[1.5]}`,
		`{"seqs":null,"route":"\u0000"}`,
		`[1,2]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := decodeReplay(bytes.NewReader(body))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "console: replay: ") {
				t.Errorf("error without the package prefix: %v", err)
			}
			return
		}
		if len(req.Seqs) == 0 || len(req.Seqs) > MaxReplay || slices.Contains(req.Seqs, 0) {
			t.Fatalf("accepted out of bounds: %d seqs %v", len(req.Seqs), req.Seqs)
		}
		again, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		req2, err := decodeReplay(bytes.NewReader(again))
		if err != nil {
			t.Fatalf("re-encoded %s does not decode: %v", again, err)
		}
		if !slices.Equal(req.Seqs, req2.Seqs) || req.Route != req2.Route {
			t.Fatalf("round trip %+v -> %+v", req, req2)
		}
	})
}
