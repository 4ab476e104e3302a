package gateway

import (
	"bytes"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/adapters/smpp"
	"github.com/iwf-gateway/iwf/cpm"
)

func sampleItems() []*item {
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	return []*item{
		{kind: kindMessage, route: "smsc1", received: at, attempts: 3, due: at.Add(time.Minute), expiry: at.Add(48 * time.Hour),
			reason: "throttled", concatRef: 513, parts: []smsPart{{id: "0A1B", status: partSubmitted}, {id: "0A1C", status: partDelivered}},
			msg: cpm.Message{ID: "m1", From: "tel:+447700900999", To: "tel:+447700900123", DateTime: at, Subject: "s",
				Notify: cpm.PositiveDelivery | cpm.NegativeDelivery, ConversationID: "c", ContributionID: "d", Expiry: at.Add(time.Hour),
				Parts: []cpm.Part{{ContentType: "text/plain;charset=utf-8", Body: []byte("héllo")}}}},
		{kind: kindReport, route: cpmRoute, received: at, outcome: outcomeDelivered,
			report: cpm.Report{ID: "r1", MessageID: "m1", From: "tel:+447700900123", To: "tel:+447700900999", Status: cpm.Failed,
				Display: true, DateTime: at, OriginalDateTime: at.Add(-time.Minute)}},
		{kind: kindFragment, route: "smsc1", received: at, fragment: smpp.ShortMessage{ServiceType: "CMT",
			Source: smpp.Address{Addr: "447700900123", TON: 1, NPI: 1}, Dest: smpp.Address{Addr: "4477", TON: 3},
			ESMClass: 0x40, DataCoding: 8, Validity: time.Hour, Message: []byte{5, 0, 3, 1, 2, 1, 0, 'a'},
			TLVs: []smpp.TLV{{Tag: smpp.TagSARMsgRefNum, Value: []byte{0, 1}}}}},
	}
}

func TestItemRoundTrip(t *testing.T) {
	for _, it := range sampleItems() {
		got, err := unmarshalItem(7, it.marshal())
		if err != nil {
			t.Fatalf("%s: %v", it.kind, err)
		}
		it.seq = 7
		if !reflect.DeepEqual(got, it) {
			t.Errorf("%s round trip:\n got %+v\nwant %+v", it.kind, got, it)
		}
	}
}

// TestItemReadsVersion2 reads a message written by the previous format,
// bodies inline, as journals written before version 3 hold them.
func TestItemReadsVersion2(t *testing.T) {
	b, err := os.ReadFile("testdata/item-v2-message.bin")
	if err != nil {
		t.Fatal(err)
	}
	got, err := unmarshalItem(7, b)
	if err != nil {
		t.Fatal(err)
	}
	want := sampleItems()[0]
	want.seq = 7
	if !reflect.DeepEqual(got, want) {
		t.Errorf("version 2 record:\n got %+v\nwant %+v", got, want)
	}
}

// TestItemBodiesLast: the bodies of a message are the end of its record,
// so what changes over the item's life (attempts, outcome, reason, the
// SMSC's ids) leaves the record's tail as it was.
func TestItemBodiesLast(t *testing.T) {
	it := sampleItems()[0]
	body := bytes.Repeat([]byte("0123456789"), 5000)
	it.msg.Parts = append(it.msg.Parts, cpm.Part{ContentType: "image/jpeg", Filename: "a.jpg", Body: body})
	before := it.marshal()
	it.attempts, it.outcome, it.reason = 4, outcomeDelivered, "delivered after a much longer wait than usual"
	it.parts = append(it.parts, smsPart{id: "0A1D-a-longer-id", status: partDelivered})
	after := it.marshal()
	tail := append([]byte("héllo"), body...)
	if !bytes.HasSuffix(before, tail) || !bytes.HasSuffix(after, tail) {
		t.Fatal("the bodies are not the end of the record")
	}
	for _, b := range [][]byte{before, after, before[:len(before)-1], append(before, 0)} {
		_, err := unmarshalItem(1, b)
		if wantErr := len(b) != len(before) && len(b) != len(after); (err != nil) != wantErr {
			t.Errorf("%d bytes: %v", len(b), err)
		}
	}
}

// TestItemPayloadTail: a message ending in a large body gives that body
// as the journal entry's Tail, uncopied, and Data and Tail together are
// the whole item.
func TestItemPayloadTail(t *testing.T) {
	it := sampleItems()[0]
	body := bytes.Repeat([]byte("file"), tailBody/4)
	it.msg.Parts = append(it.msg.Parts, cpm.Part{ContentType: "image/jpeg", Filename: "a.jpg", Body: body})
	data, tail := it.payload()
	if len(tail) == 0 || &tail[0] != &body[0] || len(tail) != len(body) {
		t.Fatalf("tail of %d bytes, the body itself: %t", len(tail), len(tail) > 0 && &tail[0] == &body[0])
	}
	if whole := it.marshal(); !bytes.Equal(append(data, tail...), whole) {
		t.Error("data and tail are not the whole item")
	}
	it.msg.Parts[len(it.msg.Parts)-1].Body = body[:tailBody-1]
	if data, tail := it.payload(); tail != nil || !bytes.Equal(data, it.marshal()) {
		t.Errorf("a body under tailBody: tail of %d bytes", len(tail))
	}
}

func TestItemRefusesCorruptRecords(t *testing.T) {
	b := sampleItems()[0].marshal()
	for _, bad := range [][]byte{nil, {9}, b[:len(b)/2], append([]byte{itemVersion, 99}, b[2:]...)} {
		if _, err := unmarshalItem(1, bad); err == nil {
			t.Errorf("unmarshalItem(% x…) accepted a corrupt record", bad[:min(len(bad), 8)])
		}
	}
}

// FuzzItem: whatever the journal hands back, decoding never panics, and
// what decodes re-encodes to a record that decodes to the same item.
func FuzzItem(f *testing.F) {
	for _, it := range sampleItems() {
		f.Add(it.marshal())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		it, err := unmarshalItem(1, b)
		if err != nil {
			return
		}
		again, err := unmarshalItem(1, it.marshal())
		if err != nil {
			t.Fatalf("re-encoded item does not decode: %v", err)
		}
		if !reflect.DeepEqual(normalizeItem(again), normalizeItem(it)) {
			t.Fatalf("round trip changed the item:\n%+v\n%+v", again, it)
		}
	})
}

// normalizeItem maps empty slices to nil so DeepEqual compares content.
func normalizeItem(it *item) *item {
	c := *it
	for i := range c.msg.Parts {
		if len(c.msg.Parts[i].Body) == 0 {
			c.msg.Parts[i].Body = nil
		}
	}
	if len(c.fragment.Message) == 0 {
		c.fragment.Message = nil
	}
	for i := range c.fragment.TLVs {
		if len(c.fragment.TLVs[i].Value) == 0 {
			c.fragment.TLVs[i].Value = nil
		}
	}
	return &c
}
