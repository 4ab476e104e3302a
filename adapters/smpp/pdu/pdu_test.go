package pdu

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const samplesDir = "../../../../shared/specs/smpp/samples"

func readSamples(t *testing.T) map[string][]byte {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(samplesDir, "*.hex"))
	if len(files) == 0 {
		t.Skip("shared SMPP samples not present at " + samplesDir)
	}
	out := map[string][]byte{}
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b, err := hex.DecodeString(strings.TrimSpace(string(text)))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".hex")] = b
	}
	return out
}

// TestSamplesRoundTrip decodes every shared sample and re-encodes it to the
// same octets.
func TestSamplesRoundTrip(t *testing.T) {
	for name, b := range readSamples(t) {
		p, err := Decode(b)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		out, err := p.Append(nil)
		if err != nil {
			t.Errorf("%s: encode: %v", name, err)
			continue
		}
		if !bytes.Equal(out, b) {
			t.Errorf("%s: re-encoded\n%x\nwant\n%x", name, out, b)
		}
	}
}

func TestSubmitSMFields(t *testing.T) {
	b := readSamples(t)["submit_sm"]
	p, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"source_addr": "40404", "destination_addr": "44951361920"}
	for k, v := range want {
		f, ok := p.Field(k)
		if !ok || string(f.Bytes) != v {
			t.Errorf("%s = %q, want %q", k, f.Bytes, v)
		}
	}
	if f, _ := p.Field("registered_delivery"); f.Int != 1 {
		t.Errorf("registered_delivery = %d", f.Int)
	}
	if p.CommandID != SubmitSM || p.Sequence != 0x4fe8 {
		t.Errorf("header = %+v", p.Header)
	}
}

func TestDecodeErrors(t *testing.T) {
	cases := []struct {
		name string
		hex  string
		want error
	}{
		{"short", "000000", ErrShort},
		{"length below header", "0000000f0000001500000000000000010000", ErrInvalidLength},
		{"length mismatch", "00000011000000150000000000000001", ErrInvalidLength},
		{"unknown command", "00000010000000ff0000000000000001", ErrUnknownCommand},
		{"cstring without NUL", "00000013800000040000000000000001414243", ErrMissingNUL},
		{"trailing octets", "00000013800000150000000000000001000102", ErrInvalidTLV},
		{"tlv overruns", "000000158000001500000000000000010001000501", ErrInvalidTLV},
	}
	for _, c := range cases {
		b, _ := hex.DecodeString(c.hex)
		if _, err := Decode(b); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
}

func TestErrorResponseWithoutBody(t *testing.T) {
	p := &PDU{Header: Header{CommandID: SubmitSMResp, Status: StatusThrottled, Sequence: 9}}
	b, err := p.Append(nil)
	if err != nil || len(b) != HeaderLength {
		t.Fatalf("append = %x, %v", b, err)
	}
	q, err := Decode(b)
	if err != nil || q.Fields != nil || q.Status != StatusThrottled {
		t.Fatalf("decode = %+v, %v", q, err)
	}
}

// FuzzDecode checks that whatever decodes re-encodes to a PDU that decodes
// to the same header, fields and TLVs.
func FuzzDecode(f *testing.F) {
	f.Add([]byte{0, 0, 0, 16, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Decode(b)
		if err != nil {
			return
		}
		out, err := p.Append(nil)
		if err != nil {
			t.Fatalf("decoded PDU does not encode: %v", err)
		}
		q, err := Decode(out)
		if err != nil {
			t.Fatalf("re-encoded PDU does not decode: %v", err)
		}
		p.Length, q.Length = 0, 0
		if !reflect.DeepEqual(normal(p), normal(q)) {
			t.Fatalf("round trip changed the PDU:\n%+v\n%+v", p, q)
		}
	})
}

// normal maps empty and nil slices together for comparison.
func normal(p *PDU) PDU {
	n := PDU{Header: p.Header, Fields: p.Fields, Raw: p.Raw}
	for i := range n.Fields {
		if len(n.Fields[i].Bytes) == 0 {
			n.Fields[i].Bytes = nil
		}
	}
	for _, t := range p.TLVs {
		if len(t.Value) == 0 {
			t.Value = nil
		}
		n.TLVs = append(n.TLVs, t)
	}
	if len(n.Raw) == 0 {
		n.Raw = nil
	}
	return n
}
