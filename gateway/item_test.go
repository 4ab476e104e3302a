package gateway

import (
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
