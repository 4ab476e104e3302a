package kafka

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/iwf-gateway/iwf/journal"
)

// goldenRecord is the record in testdata/put_record_v1.hex.
func goldenRecord() putRecord {
	return putRecord{
		writer: 0x0102030405060708,
		entries: []recordEntry{
			{
				seq: 0x00000190a1b2c3d4, version: 0x0000000064a1b2c3, state: journal.Open, kind: 7,
				time: 1_700_000_000_123_456_789, stateTime: 1_700_000_000_123_456_789,
				refs: []boundRef{{ref: "msg-1", stamp: 0x0000000064a1b2c3}, {ref: "smsc-9", stamp: 0x0000000064a1b2c0}},
				data: []byte("hi"),
			},
			{seq: 0x00000190a1b2c3d5, version: 0x0000000064a1b2c4, state: journal.Dead, kind: 0, time: -1, stateTime: 0},
		},
	}
}

// readHex reads an annotated hex file: "#" starts a comment, blanks are
// ignored.
func readHex(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var digits strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		digits.WriteString(strings.Join(strings.Fields(line), ""))
	}
	b, err := hex.DecodeString(digits.String())
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return b
}

// TestRecordGolden pins the version 1 layout: records stay in Kafka, so
// a change of the encoding is a new version, never an edit.
func TestRecordGolden(t *testing.T) {
	want := readHex(t, "testdata/put_record_v1.hex")
	rec := goldenRecord()
	if got := appendRecord(nil, &rec); !bytes.Equal(got, want) {
		t.Fatalf("encoding:\n got % x\nwant % x", got, want)
	}
	if recordSize(&rec) != len(want) {
		t.Errorf("recordSize = %d, want %d", recordSize(&rec), len(want))
	}
	got, err := decodeRecord(want)
	if err != nil {
		t.Fatal(err)
	}
	if got.writer != rec.writer || len(got.entries) != 2 {
		t.Fatalf("decoded writer %x, %d entries", got.writer, len(got.entries))
	}
	for i, e := range got.entries {
		w := rec.entries[i]
		switch {
		case e.seq != w.seq, e.version != w.version:
			t.Errorf("entry %d: seq %x version %x, want %x %x", i, e.seq, e.version, w.seq, w.version)
		case e.state != w.state, e.kind != w.kind:
			t.Errorf("entry %d: state %v kind %d, want %v %d", i, e.state, e.kind, w.state, w.kind)
		case e.time != w.time, e.stateTime != w.stateTime:
			t.Errorf("entry %d: times %d %d, want %d %d", i, e.time, e.stateTime, w.time, w.stateTime)
		case !reflect.DeepEqual(e.refs, w.refs):
			t.Errorf("entry %d: refs %+v, want %+v", i, e.refs, w.refs)
		case !bytes.Equal(e.data, w.data):
			t.Errorf("entry %d: data %q, want %q", i, e.data, w.data)
		}
	}
}

// TestRecordRejects: each kind of damage is ErrCorrupt, never a panic or
// a wrong entry.
func TestRecordRejects(t *testing.T) {
	good := readHex(t, "testdata/put_record_v1.hex")
	patch := func(off int, b ...byte) []byte {
		c := bytes.Clone(good)
		copy(c[off:], b)
		return c
	}
	cases := map[string][]byte{
		"empty":          nil,
		"short header":   good[:11],
		"version":        patch(0, 2),
		"flags":          patch(1, 1),
		"no entries":     patch(10, 0, 0),
		"more entries":   patch(10, 0, 3),
		"entry flags":    patch(12+16, 1),
		"state":          patch(12+17, 4),
		"too many refs":  patch(12+35, MaxRefs+1),
		"empty ref":      patch(12+36, 0, 0),
		"ref past end":   patch(12+36, 0xff, 0xff),
		"data past end":  patch(12+36+2+5+8+2+6+8, 0, 0, 0, 9),
		"trailing bytes": append(bytes.Clone(good), 0),
		"truncated":      good[:len(good)-1],
	}
	for name, b := range cases {
		if _, err := decodeRecord(b); err == nil {
			t.Errorf("%s: decodeRecord(% x) succeeded", name, b)
		}
	}
}

func TestBindingRoundTrip(t *testing.T) {
	b := binding{seq: 0x1122334455667788, stamp: 0x99aabbccddeeff00}
	v := appendBinding(nil, b)
	want := []byte{1, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0}
	if !bytes.Equal(v, want) {
		t.Fatalf("appendBinding = % x, want % x", v, want)
	}
	if got, err := decodeBinding(v); err != nil || got != b {
		t.Errorf("decodeBinding = %+v, %v", got, err)
	}
	for _, bad := range [][]byte{nil, v[:16], append(bytes.Clone(v), 0), append([]byte{2}, v[1:]...)} {
		if _, err := decodeBinding(bad); err == nil {
			t.Errorf("decodeBinding(% x) succeeded", bad)
		}
	}
}

// FuzzRecord checks that a record that decodes is canonical (it encodes
// back to the same bytes) and that what decodes is storable.
func FuzzRecord(f *testing.F) {
	rec := goldenRecord()
	f.Add(appendRecord(nil, &rec))
	f.Add(appendRecord(nil, &putRecord{entries: []recordEntry{{seq: 1, version: 1, state: journal.Done}}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeRecord(b)
		if err != nil {
			return
		}
		again := appendRecord(nil, &r)
		if !bytes.Equal(again, b) {
			t.Fatalf("re-encoding changed the record:\n in % x\nout % x", b, again)
		}
		if recordSize(&r) != len(b) {
			t.Fatalf("recordSize %d, record of %d bytes", recordSize(&r), len(b))
		}
		for i, e := range r.entries {
			if len(e.refs) > MaxRefs || len(e.data) > MaxDataSize || e.state < journal.Open || e.state > journal.Dead {
				t.Fatalf("entry %d out of bounds: %d refs, %d bytes, state %d", i, len(e.refs), len(e.data), e.state)
			}
		}
	})
}

// FuzzBinding checks that a refs-topic value that decodes re-encodes to
// the same bytes.
func FuzzBinding(f *testing.F) {
	f.Add(appendBinding(nil, binding{seq: 7, stamp: 9}))
	f.Fuzz(func(t *testing.T, v []byte) {
		b, err := decodeBinding(v)
		if err != nil {
			return
		}
		if again := appendBinding(nil, b); !bytes.Equal(again, v) {
			t.Fatalf("re-encoding changed % x to % x", v, again)
		}
	})
}
