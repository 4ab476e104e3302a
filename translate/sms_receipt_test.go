package translate

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/adapters/smpp"
	"github.com/iwf-gateway/iwf/cpm"
)

func utc(y int, mo time.Month, d, h, mi, s int) time.Time {
	return time.Date(y, mo, d, h, mi, s, 0, time.UTC)
}

func TestParseReceiptSamples(t *testing.T) {
	t.Run("cmt with TLVs", func(t *testing.T) {
		sm := sampleShortMessage(t, "deliver_sm_receipt_cmt_tlvs.hex")
		r, ok, err := ParseReceipt(sm)
		want := Receipt{
			MessageID: "70BA8A69", Final: true, State: cpm.Delivered, MessageState: 2,
			TextID: "1891273321", Sub: "001", Dlvrd: "001",
			Submitted: utc(2013, 5, 5, 8, 26, 0), Done: utc(2013, 5, 5, 8, 26, 0),
			Stat: "DELIVRD", Err: "000", Text: "DLVRD TO MOBILE",
			Source: smpp.Address{Addr: "6515555678", TON: 1}, Dest: smpp.Address{Addr: "123", TON: 1},
		}
		if !ok || err != nil || r != want {
			t.Errorf("got %+v, %v, %v\nwant %+v", r, ok, err, want)
		}
		if !r.Matches("70BA8A69") || !r.Matches("70ba8a69") || !r.Matches("1891273321") || r.Matches("1891273322") {
			t.Error("Matches")
		}
	})
	t.Run("standard", func(t *testing.T) {
		sm := sampleShortMessage(t, "deliver_sm_receipt_standard.hex")
		r, ok, err := ParseReceipt(sm)
		want := Receipt{
			MessageID: "38601fa", Final: true, State: cpm.Delivered, MessageState: 2,
			TextID: "0059113978", Sub: "001", Dlvrd: "001",
			Submitted: utc(2010, 2, 10, 17, 30, 0), Done: utc(2010, 2, 10, 17, 31, 0),
			Stat: "DELIVRD", Err: "000", Text: "@$#!%&/:",
			Source: smpp.Address{Addr: "44951361920", TON: 1, NPI: 1}, Dest: smpp.Address{Addr: "40404", TON: 1, NPI: 1},
		}
		if !ok || err != nil || r != want {
			t.Errorf("got %+v, %v, %v\nwant %+v", r, ok, err, want)
		}
		for _, id := range []string{"0059113978", "59113978", "38601FA", "038601fa"} {
			if !r.Matches(id) {
				t.Errorf("Matches(%q) false", id)
			}
		}
	})
	t.Run("MO is not a receipt", func(t *testing.T) {
		sm := sampleShortMessage(t, "deliver_sm_syniverse_mo_latin1.hex")
		if _, ok, err := ParseReceipt(sm); ok || err != nil {
			t.Errorf("MO taken for a receipt: %v %v", ok, err)
		}
	})
}

func TestParseReceiptTextSamples(t *testing.T) {
	lines := strings.Split(strings.TrimRight(string(readSample(t, "receipt_text_standard.txt")), "\n"), "\n")
	want := []Receipt{
		{MessageID: "0123456789", TextID: "0123456789", Sub: "001", Dlvrd: "001", Submitted: utc(2010, 5, 23, 20, 39, 0), Done: utc(2010, 5, 24, 23, 39, 0), Stat: "DELIVRD", Err: "012", Text: "This is a sample mes", Final: true, State: cpm.Delivered},
		{MessageID: "4", TextID: "4", Sub: "001", Dlvrd: "001", Submitted: utc(2010, 6, 2, 0, 51, 0), Done: utc(2010, 6, 2, 0, 51, 0), Stat: "DELIVRD", Err: "000", Text: "Hello", Final: true, State: cpm.Delivered},
		{MessageID: "12345", TextID: "12345", Sub: "001", Dlvrd: "001", Submitted: utc(1970, 1, 1, 0, 0, 0), Done: utc(1970, 1, 1, 0, 0, 0), Stat: "ENROUTE", Err: "000", Text: "text"},
		{MessageID: "98765432101", TextID: "98765432101", Sub: "000", Dlvrd: "000", Submitted: utc(2010, 1, 1, 0, 0, 0), Done: utc(2010, 1, 1, 0, 0, 0), Stat: "ENROUTE", Err: "000"},
		{MessageID: "0123456789", TextID: "0123456789", Sub: "002", Dlvrd: "001", Submitted: utc(2010, 5, 23, 20, 39, 0), Done: utc(2010, 5, 24, 23, 39, 0), Stat: "DELIVRD", Err: "010", Text: "This is a sample mes", Final: true, State: cpm.Delivered},
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d", len(lines), len(want))
	}
	for i, line := range lines {
		r, ok, err := ParseReceipt(&smpp.ShortMessage{ESMClass: smpp.ESMClassDeliveryReceipt, Message: []byte(line)})
		if !ok || err != nil || r != want[i] {
			t.Errorf("line %d: %+v, %v, %v\nwant %+v", i+1, r, ok, err, want[i])
		}
	}
}

func TestParseReceiptVariants(t *testing.T) {
	rcpt := func(text string, tlvs ...smpp.TLV) *smpp.ShortMessage {
		return &smpp.ShortMessage{ESMClass: smpp.ESMClassDeliveryReceipt, Message: []byte(text), TLVs: tlvs}
	}
	state := func(v ...byte) smpp.TLV { return smpp.TLV{Tag: smpp.TagMessageState, Value: v} }
	cases := []struct {
		name    string
		sm      *smpp.ShortMessage
		final   bool
		status  cpm.Status
		id      string
		err     error
		checkFn func(Receipt) bool
	}{
		{"12-digit dates, upper-case keys", rcpt("ID:7 SUB:001 DLVRD:001 SUBMIT DATE:100210173012 DONE DATE:100210173159 STAT:undeliv ERR:0C1 TEXT:x"),
			true, cpm.Failed, "7", nil, func(r Receipt) bool {
				return r.Submitted.Equal(utc(2010, 2, 10, 17, 30, 12)) && r.Done.Equal(utc(2010, 2, 10, 17, 31, 59)) && r.Err == "0C1" && r.Stat == "undeliv"
			}},
		{"underscored date keys", rcpt("id:9 submit_date:1002101730 done_date:1002101731 stat:REJECTD"), true, cpm.Failed, "9", nil,
			func(r Receipt) bool { return r.Done.Equal(utc(2010, 2, 10, 17, 31, 0)) }},
		{"missing fields", rcpt("id:abc stat:EXPIRED"), true, cpm.Failed, "abc", nil, nil},
		{"deleted", rcpt("id:1 stat:DELETED"), true, cpm.Failed, "1", nil, nil},
		{"unknown", rcpt("id:1 stat:UNKNOWN"), true, cpm.Error, "1", nil, nil},
		{"buffered", rcpt("id:1 stat:BUFFRED"), false, "", "1", nil, nil},
		{"accepted", rcpt("id:1 stat:ACCEPTD"), false, "", "1", nil, nil},
		{"bad date ignored", rcpt("id:1 submit date:1013451730 stat:DELIVRD"), true, cpm.Delivered, "1", nil,
			func(r Receipt) bool { return r.Submitted.IsZero() }},
		{"TLVs only", rcpt("", state(5), smpp.TLV{Tag: smpp.TagReceiptedMessageID, Value: []byte("ab12\x00")}), true, cpm.Failed, "ab12", nil,
			func(r Receipt) bool { return r.Stat == "UNDELIV" && r.MessageState == 5 }},
		{"TLV state wins over text", rcpt("id:1 stat:DELIVRD", state(8)), true, cpm.Failed, "1", nil, nil},
		{"payload receipt", &smpp.ShortMessage{ESMClass: 0x04, TLVs: []smpp.TLV{{Tag: smpp.TagMessagePayload, Value: []byte("id:55 stat:DELIVRD")}}}, true, cpm.Delivered, "55", nil, nil},
		{"intermediate notification", &smpp.ShortMessage{ESMClass: 0x20, Message: []byte("id:1 stat:DELIVRD")}, false, "", "1", nil, nil},
		{"SME ack", &smpp.ShortMessage{ESMClass: 0x08 | 0x40>>6, Message: []byte("id:1 stat:DELIVRD")}, true, cpm.Delivered, "1", nil, nil},
		{"no id", rcpt("sub:001 stat:DELIVRD"), false, "", "", ErrReceiptNoID, nil},
		{"no state", rcpt("id:1 err:000"), false, "", "1", ErrReceiptNoState, nil},
		{"unknown stat", rcpt("id:1 stat:BOGUS"), false, "", "1", ErrUnknownReceiptState, nil},
		{"state 9", rcpt("id:1", state(9)), false, "", "1", ErrUnknownReceiptState, nil},
		{"state 2 octets", rcpt("id:1", state(2, 0)), false, "", "1", ErrBadReceiptTLV, nil},
	}
	for _, c := range cases {
		r, ok, err := ParseReceipt(c.sm)
		if !ok || !errors.Is(err, c.err) || r.Final != c.final || r.State != c.status || r.MessageID != c.id || (c.checkFn != nil && !c.checkFn(r)) {
			t.Errorf("%s: %+v, %v, %v", c.name, r, ok, err)
		}
	}
}

func TestMessageStateTable(t *testing.T) {
	want := map[byte]cpm.Status{1: "", 2: cpm.Delivered, 3: cpm.Failed, 4: cpm.Failed, 5: cpm.Failed, 6: "", 7: cpm.Error, 8: cpm.Failed}
	for v, st := range want {
		r, _, err := ParseReceipt(&smpp.ShortMessage{ESMClass: 4, Message: []byte("id:1"), TLVs: []smpp.TLV{{Tag: smpp.TagMessageState, Value: []byte{v}}}})
		if err != nil || r.State != st || r.Final != (st != "") || r.State == cpm.Displayed {
			t.Errorf("message_state %d: %+v, %v", v, r, err)
		}
	}
}

func TestMessageIDs(t *testing.T) {
	match := [][2]string{{"0059113978", "59113978"}, {"38601fa", "0059113978"}, {"59113978", "38601FA"}, {"abc-1", "ABC-1"}, {" 12\x00", "12"}, {"0", "000"}}
	for _, p := range match {
		if !ReceiptIDMatches(p[0], p[1]) {
			t.Errorf("%q %q should match", p[0], p[1])
		}
	}
	differ := [][2]string{{"1", "2"}, {"", ""}, {"38601fa", "59113979"}, {"abc-1", "abc-2"}}
	for _, p := range differ {
		if ReceiptIDMatches(p[0], p[1]) {
			t.Errorf("%q %q should not match", p[0], p[1])
		}
	}
	norm := []struct {
		id   string
		form MessageIDForm
		want string
	}{
		{"38601FA", IDHex, "59113978"}, {"0059113978", IDDecimal, "59113978"}, {"0059113978", IDVerbatim, "0059113978"},
		{"xyz", IDHex, "xyz"}, {"12\x00", IDDecimal, "12"},
	}
	for _, c := range norm {
		if got := NormalizeMessageID(c.id, c.form); got != c.want {
			t.Errorf("NormalizeMessageID(%q, %d) = %q, want %q", c.id, c.form, got, c.want)
		}
	}
}

func TestFormatReceiptText(t *testing.T) {
	r := Receipt{TextID: "0059113978", Sub: "001", Dlvrd: "001", Submitted: utc(2010, 2, 10, 17, 30, 0), Done: utc(2010, 2, 10, 17, 31, 5), Stat: "DELIVRD", Err: "000", Text: "hi"}
	want := "id:0059113978 sub:001 dlvrd:001 submit date:1002101730 done date:100210173105 stat:DELIVRD err:000 text:hi"
	if got := FormatReceiptText(r); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// textFields is what survives FormatReceiptText.
func textFields(r Receipt) Receipt {
	return Receipt{TextID: r.TextID, Sub: r.Sub, Dlvrd: r.Dlvrd, Submitted: r.Submitted, Done: r.Done, Stat: r.Stat, Err: r.Err, Text: r.Text}
}

func FuzzParseReceipt(f *testing.F) {
	f.Add([]byte("id:0059113978 sub:001 dlvrd:001 submit date:1002101730 done date:1002101731 stat:DELIVRD err:000 text:@$#!%&/:"), uint8(0x04), []byte{})
	f.Add([]byte("ID:1 Text:a stat:x"), uint8(0x04), []byte{2})
	f.Add([]byte("stat:ENROUTE id: sub:1 sub:2"), uint8(0x20), []byte{9})
	f.Fuzz(func(t *testing.T, text []byte, esm uint8, state []byte) {
		sm := &smpp.ShortMessage{ESMClass: esm, Message: text}
		if len(state) > 0 {
			sm.TLVs = []smpp.TLV{{Tag: smpp.TagMessageState, Value: state}}
		}
		r, ok, err := ParseReceipt(sm)
		if !ok {
			if err != nil || r != (Receipt{}) {
				t.Fatalf("not a receipt but %+v, %v", r, err)
			}
			return
		}
		if err == nil && r.Final && r.State != cpm.Delivered && r.State != cpm.Failed && r.State != cpm.Error {
			t.Fatalf("final state %q", r.State)
		}
		first := textFields(parseReceiptText(string(text)))
		again := textFields(parseReceiptText(FormatReceiptText(first)))
		if first != again {
			t.Fatalf("re-parse differs:\n%+v\n%+v\nformatted %q", first, again, FormatReceiptText(first))
		}
	})
}

func BenchmarkParseReceipt(b *testing.B) {
	sm := sampleShortMessage(b, "deliver_sm_receipt_standard.hex")
	for b.Loop() {
		if _, ok, err := ParseReceipt(sm); !ok || err != nil {
			b.Fatal(err)
		}
	}
}
