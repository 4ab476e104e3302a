package local

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/journal"
)

func TestRecordRoundTrip(t *testing.T) {
	e := journal.Entry{
		Seq: 0x0102030405060708, State: journal.Dead, Kind: 0xfe,
		Time: time.Date(2025, 6, 1, 12, 0, 0, 999, time.UTC),
		Refs: []string{"msg-1", "smsc\x00id"}, Data: []byte{0, 1, 2, 0xff},
	}
	rec := encodeRecord(nil, &e)
	want := []byte{1, 1, 2, 3, 4, 5, 6, 7, 8, 3, 0xfe}
	if !bytes.HasPrefix(rec, want) || len(rec) != headLen(&e)+len(e.Data) {
		t.Fatalf("record % x does not start % x or has wrong length", rec, want)
	}
	got, err := decodeRecord(rec)
	if err != nil {
		t.Fatal(err)
	}
	if got.Seq != e.Seq || got.State != e.State || got.Kind != e.Kind || !got.Time.Equal(e.Time) ||
		!slices.Equal(got.Refs, e.Refs) || !bytes.Equal(got.Data, e.Data) {
		t.Errorf("decode(encode(%+v)) = %+v", e, got)
	}
	for _, bad := range [][]byte{nil, rec[:27], append([]byte{2}, rec[1:]...), rec[:31]} {
		if _, err := decodeRecord(bad); err == nil {
			t.Errorf("decodeRecord(% x) succeeded", bad)
		}
	}
}

// FuzzRecord checks that every record that decodes re-encodes to one that
// decodes to the same entry.
func FuzzRecord(f *testing.F) {
	f.Add(encodeRecord(nil, &journal.Entry{Seq: 1, State: journal.Open}))
	f.Add(encodeRecord(nil, &journal.Entry{Seq: 9, State: journal.Done, Refs: []string{"a"}, Data: []byte("x")}))
	f.Fuzz(func(t *testing.T, rec []byte) {
		e, err := decodeRecord(rec)
		if err != nil {
			return
		}
		if reason, err := checkEntry(&e); err != nil {
			t.Fatalf("decoded entry is not storable: %s", reason)
		}
		again, err := decodeRecord(encodeRecord(nil, &e))
		if err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
		if again.Seq != e.Seq || again.State != e.State || again.Kind != e.Kind || !again.Time.Equal(e.Time) ||
			!slices.Equal(again.Refs, e.Refs) || !bytes.Equal(again.Data, e.Data) {
			t.Fatalf("round trip changed %+v to %+v", e, again)
		}
	})
}

// encodeRecord is the whole record of e, as the writer stores it inline:
// the head, then the payload.
func encodeRecord(dst []byte, e *journal.Entry) []byte {
	return append(append(encodeHead(dst, e), e.Data...), e.Tail...)
}
