package translate

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/iwf-gateway/iwf/adapters/smpp"
	"github.com/iwf-gateway/iwf/cpm"
)

const samplesDir = "../../shared/specs/smpp/samples"

// readSample returns a shared SMPP sample, skipping when they are absent.
func readSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(samplesDir, name))
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("shared SMPP samples not found at %s", samplesDir)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sampleShortMessage decodes a submit_sm or deliver_sm hex sample: a
// test-only reading of the SMPP 3.4 section 4.4.1 / 4.6.1 body.
func sampleShortMessage(t testing.TB, name string) *smpp.ShortMessage {
	t.Helper()
	raw, err := hex.DecodeString(strings.TrimSpace(string(readSample(t, name))))
	if err != nil || len(raw) < 16 || int(binary.BigEndian.Uint32(raw)) != len(raw) {
		t.Fatalf("%s: bad PDU: %v", name, err)
	}
	if id := binary.BigEndian.Uint32(raw[4:]); id != 4 && id != 5 {
		t.Fatalf("%s: command 0x%x is not submit_sm or deliver_sm", name, id)
	}
	b := raw[16:]
	cstr := func() string {
		i := bytes.IndexByte(b, 0)
		if i < 0 {
			t.Fatalf("%s: unterminated C string", name)
		}
		s := string(b[:i])
		b = b[i+1:]
		return s
	}
	u8 := func() uint8 { v := b[0]; b = b[1:]; return v }
	sm := &smpp.ShortMessage{ServiceType: cstr()}
	sm.Source = smpp.Address{TON: u8(), NPI: u8(), Addr: cstr()}
	sm.Dest = smpp.Address{TON: u8(), NPI: u8(), Addr: cstr()}
	sm.ESMClass, sm.ProtocolID, sm.PriorityFlag = u8(), u8(), u8()
	cstr() // schedule_delivery_time
	cstr() // validity_period
	sm.RegisteredDelivery = u8()
	u8() // replace_if_present_flag
	sm.DataCoding = u8()
	u8() // sm_default_msg_id
	n := int(u8())
	sm.Message, b = b[:n], b[n:]
	for len(b) >= 4 {
		tag, l := binary.BigEndian.Uint16(b), int(binary.BigEndian.Uint16(b[2:]))
		sm.TLVs = append(sm.TLVs, smpp.TLV{Tag: tag, Value: b[4 : 4+l]})
		b = b[4+l:]
	}
	if len(b) != 0 {
		t.Fatalf("%s: %d trailing octets", name, len(b))
	}
	return sm
}

func textMessage(text string) *cpm.Message {
	return &cpm.Message{ID: "m1", Parts: []cpm.Part{{ContentType: "text/plain;charset=utf-8", Body: []byte(text)}}}
}

var testRoute = SMSRoute{
	Source:             smpp.Address{Addr: "447700900001", TON: 1, NPI: 1},
	Dest:               smpp.Address{Addr: "447700900002", TON: 1, NPI: 1},
	RegisteredDelivery: true,
	Validity:           time.Hour,
	Reference:          0x1234,
}

// userData strips the concatenation header SMSFromMessage put in front.
func userData(t *testing.T, sm smpp.ShortMessage) []byte {
	t.Helper()
	if sm.ESMClass&smpp.ESMClassUDHI == 0 {
		return sm.Message
	}
	return sm.Message[1+int(sm.Message[0]):]
}

func TestSMSFromMessageBoundaries(t *testing.T) {
	a := func(n int) string { return strings.Repeat("a", n) }
	ya := func(n int) string { return strings.Repeat("я", n) }
	cases := []struct {
		name  string
		text  string
		route func(*SMSRoute)
		enc   SMSEncoding
		sizes []int // octets of user data per segment
	}{
		{"160 GSM", a(160), nil, SMSGSM7, []int{160}},
		{"161 GSM", a(161), nil, SMSGSM7, []int{153, 8}},
		{"extension at 153 edge", a(152) + "€" + a(10), nil, SMSGSM7, []int{152, 12}},
		{"extension filling 153", a(151) + "€" + a(10), nil, SMSGSM7, []int{153, 10}},
		{"159 plus extension", a(159) + "€", nil, SMSGSM7, []int{153, 8}},
		{"158 plus extension fits", a(158) + "€", nil, SMSGSM7, []int{160}},
		{"70 UCS-2", ya(70), nil, SMSUCS2, []int{140}},
		{"71 UCS-2", ya(71), nil, SMSUCS2, []int{134, 8}},
		{"emoji at 67 edge", ya(66) + "😀" + ya(5), nil, SMSUCS2, []int{132, 14}},
		{"emoji fits 67", ya(65) + "😀" + ya(5), nil, SMSUCS2, []int{134, 10}},
		{"UDH16 GSM", a(161), func(r *SMSRoute) { r.Concatenation = ConcatUDH16 }, SMSGSM7, []int{152, 9}},
		{"UDH16 UCS-2", ya(71), func(r *SMSRoute) { r.Concatenation = ConcatUDH16 }, SMSUCS2, []int{132, 10}},
		{"SAR GSM", a(161), func(r *SMSRoute) { r.Concatenation = ConcatSAR }, SMSGSM7, []int{153, 8}},
		{"Latin-1 140", strings.Repeat("á", 140), func(r *SMSRoute) { r.AllowLatin1 = true }, SMSLatin1, []int{140}},
		{"Latin-1 141", strings.Repeat("á", 141), func(r *SMSRoute) { r.AllowLatin1 = true }, SMSLatin1, []int{134, 7}},
		{"Latin-1 refused", "á", nil, SMSUCS2, []int{2}},
		{"empty", "", nil, SMSGSM7, []int{0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := testRoute
			if c.route != nil {
				c.route(&r)
			}
			sms, err := SMSFromMessage(textMessage(c.text), r)
			if err != nil {
				t.Fatal(err)
			}
			if len(sms) != len(c.sizes) {
				t.Fatalf("%d segments, want %d", len(sms), len(c.sizes))
			}
			var all []byte
			for i, sm := range sms {
				ud := userData(t, sm)
				if len(ud) != c.sizes[i] || sm.DataCoding != uint8(c.enc) {
					t.Errorf("segment %d: %d octets dc 0x%02x, want %d dc 0x%02x", i+1, len(ud), sm.DataCoding, c.sizes[i], uint8(c.enc))
				}
				if sm.Source != r.Source || sm.Dest != r.Dest || sm.RegisteredDelivery != 1 || sm.Validity != time.Hour {
					t.Errorf("segment %d: route fields not copied: %+v", i+1, sm)
				}
				if s := decodeSMSText(dataCodingAlphabet(sm.DataCoding), ud); strings.ContainsRune(s, utf8.RuneError) {
					t.Errorf("segment %d decodes with U+FFFD: a character was cut", i+1)
				}
				all = append(all, ud...)
			}
			if got := decodeSMSText(dataCodingAlphabet(uint8(c.enc)), all); got != c.text {
				t.Errorf("joined text %q, want %q", got, c.text)
			}
		})
	}
}

func TestSMSFromMessageConcatenationHeaders(t *testing.T) {
	text := strings.Repeat("x", 200)
	r := testRoute
	sms, _ := SMSFromMessage(textMessage(text), r)
	for i, sm := range sms {
		want := []byte{5, 0, 3, 0x34, 2, byte(i + 1)}
		if sm.ESMClass != smpp.ESMClassUDHI || !bytes.Equal(sm.Message[:6], want) || len(sm.TLVs) != 0 {
			t.Errorf("UDH8 part %d: esm 0x%02x header % x", i+1, sm.ESMClass, sm.Message[:6])
		}
	}
	r.Concatenation = ConcatUDH16
	sms, _ = SMSFromMessage(textMessage(text), r)
	for i, sm := range sms {
		want := []byte{6, 8, 4, 0x12, 0x34, 2, byte(i + 1)}
		if sm.ESMClass != smpp.ESMClassUDHI || !bytes.Equal(sm.Message[:7], want) {
			t.Errorf("UDH16 part %d: header % x", i+1, sm.Message[:7])
		}
	}
	r.Concatenation = ConcatSAR
	sms, _ = SMSFromMessage(textMessage(text), r)
	for i, sm := range sms {
		ref, _ := sm.TLV(smpp.TagSARMsgRefNum)
		total, _ := sm.TLV(smpp.TagSARTotalSegments)
		seq, _ := sm.TLV(smpp.TagSARSegmentSeqnum)
		if sm.ESMClass != 0 || !bytes.Equal(ref, []byte{0x12, 0x34}) || !bytes.Equal(total, []byte{2}) || !bytes.Equal(seq, []byte{byte(i + 1)}) {
			t.Errorf("SAR part %d: esm 0x%02x ref % x total % x seq % x", i+1, sm.ESMClass, ref, total, seq)
		}
	}
	r.Concatenation = ConcatPayload
	sms, _ = SMSFromMessage(textMessage(text+"€"), r)
	p, _ := sms[0].TLV(smpp.TagMessagePayload)
	if len(sms) != 1 || len(sms[0].Message) != 0 || len(p) != 202 || sms[0].ESMClass != 0 {
		t.Errorf("payload: %d messages, short_message %d octets, payload %d", len(sms), len(sms[0].Message), len(p))
	}
}

func TestSMSFromMessageErrors(t *testing.T) {
	long := textMessage(strings.Repeat("z", 400))
	cases := []struct {
		name  string
		m     *cpm.Message
		route func(*SMSRoute)
		want  error
	}{
		{"image", &cpm.Message{Parts: []cpm.Part{{ContentType: "image/png", Body: []byte{1}}}}, nil, ErrNotText},
		{"two parts", &cpm.Message{Parts: []cpm.Part{{ContentType: "text/plain"}, {ContentType: "text/plain"}}}, nil, ErrNotText},
		{"no parts", &cpm.Message{}, nil, ErrNotText},
		{"latin-1 charset", &cpm.Message{Parts: []cpm.Part{{ContentType: "text/plain; charset=ISO-8859-1", Body: []byte("\xe9")}}}, nil, ErrUnsupportedCharset},
		{"invalid UTF-8", &cpm.Message{Parts: []cpm.Part{{ContentType: "text/plain", Body: []byte("a\xffb")}}}, nil, ErrInvalidText},
		{"too many", long, func(r *SMSRoute) { r.MaxSegments = 2 }, ErrTooManySegments},
		{"max over 255", long, func(r *SMSRoute) { r.MaxSegments = 256 }, ErrBadRoute},
		{"bad mode", long, func(r *SMSRoute) { r.Concatenation = 9 }, ErrBadRoute},
		{"payload too long", textMessage(strings.Repeat("я", 40000)), func(r *SMSRoute) { r.Concatenation = ConcatPayload }, ErrPayloadTooLong},
	}
	for _, c := range cases {
		r := testRoute
		if c.route != nil {
			c.route(&r)
		}
		sms, err := SMSFromMessage(c.m, r)
		if !errors.Is(err, c.want) || sms != nil {
			t.Errorf("%s: %d segments, %v; want %v", c.name, len(sms), err, c.want)
		}
	}
	_, err := SMSFromMessage(long, SMSRoute{MaxSegments: 2})
	var sce *SegmentCountError
	if !errors.As(err, &sce) || sce.Needed != 3 || sce.Max != 2 || sce.Encoding != SMSGSM7 {
		t.Errorf("SegmentCountError: %+v", sce)
	}
}

func TestConcatenationText(t *testing.T) {
	for _, name := range []string{"udh8", "UDH16", "sar", "payload"} {
		var c Concatenation
		if err := c.UnmarshalText([]byte(name)); err != nil {
			t.Fatal(err)
		}
		if b, _ := c.MarshalText(); !strings.EqualFold(string(b), name) {
			t.Errorf("%s -> %s", name, b)
		}
	}
	var c Concatenation
	if err := c.UnmarshalText([]byte("udh7")); err == nil {
		t.Error("udh7 accepted")
	}
}

func TestDecodeSMSSamples(t *testing.T) {
	t.Run("ucs2 udh concat part", func(t *testing.T) {
		sm := sampleShortMessage(t, "deliver_sm_ucs2_udh_concat_part1of2.hex")
		seg, err := DecodeSMS(sm)
		if err != nil {
			t.Fatal(err)
		}
		want := "nghắ nghiêng nghiễng ngả"
		if seg.Ref != 0xFE || seg.Total != 2 || seg.Seq != 1 || seg.Text != want || seg.DataCoding != 8 ||
			!bytes.Equal(seg.Header, []byte{5, 0, 3, 0xFE, 2, 1}) || seg.Binary || seg.MessageClass != -1 {
			t.Errorf("got %+v", seg)
		}
		if seg.Source != (smpp.Address{Addr: "Alicer", TON: 28, NPI: 29}) || seg.Dest != (smpp.Address{Addr: "Bobo", TON: 30, NPI: 31}) {
			t.Errorf("addresses %+v %+v", seg.Source, seg.Dest)
		}
	})
	t.Run("syniverse latin-1", func(t *testing.T) {
		sm := sampleShortMessage(t, "deliver_sm_syniverse_mo_latin1.hex")
		seg, err := DecodeSMS(sm)
		if err != nil || seg.Text != "there is no spoon" || seg.Total != 0 || sm.ServiceType != "AWSBD" ||
			seg.Source != (smpp.Address{Addr: "16505551234", TON: 1, NPI: 1}) || seg.Dest != (smpp.Address{Addr: "17735554070", TON: 1, NPI: 1}) {
			t.Errorf("got %+v, %v", seg, err)
		}
	})
	t.Run("sybase class 2 with NUL", func(t *testing.T) {
		sm := sampleShortMessage(t, "deliver_sm_sybase_mo_class2.hex")
		seg, err := DecodeSMS(sm)
		if err != nil || seg.Text != "HELLO" || seg.MessageClass != 2 || seg.DataCoding != 0xF2 || sm.ServiceType != "CMT" {
			t.Errorf("got %+v, %v", seg, err)
		}
		seg, _ = DecodeSMSWith(sm, SMSDecodeOptions{KeepTrailingNUL: true})
		if seg.Text != "HELLO@" {
			t.Errorf("KeepTrailingNUL: %q", seg.Text)
		}
	})
	t.Run("message_payload", func(t *testing.T) {
		sm := sampleShortMessage(t, "deliver_sm_message_payload_tlv.hex")
		seg, err := DecodeSMS(sm)
		// data_coding 0: the payload is GSM 7-bit, '@' is 0x00, so the
		// octet 0x40 of this sample reads as '¡'.
		if err != nil || !seg.FromPayload || seg.Text != "¡Maidenman664 was it sappy? &Romantic?" || len(sm.Message) != 0 {
			t.Errorf("got %+v, %v", seg, err)
		}
	})
	t.Run("submit_sm gsm", func(t *testing.T) {
		sm := sampleShortMessage(t, "submit_sm.hex")
		seg, err := DecodeSMS(sm)
		if err != nil || seg.Text != "¡¤#!%&/:" || sm.RegisteredDelivery != 1 || seg.Dest.Addr != "44951361920" || seg.Source.Addr != "40404" {
			t.Errorf("got %+v, %v", seg, err)
		}
	})
	t.Run("submit_sm class 2", func(t *testing.T) {
		sm := sampleShortMessage(t, "submit_sm_class2.hex")
		seg, err := DecodeSMS(sm)
		if err != nil || seg.Text != "HELLO" || seg.MessageClass != 2 || seg.Source.Addr != "mobileway" || seg.Dest.Addr != "1208230" {
			t.Errorf("got %+v, %v", seg, err)
		}
	})
	t.Run("ringtone binary with port UDH", func(t *testing.T) {
		sm := sampleShortMessage(t, "submit_sm_udh_port_addressing_ringtone.hex")
		seg, err := DecodeSMS(sm)
		if err != nil || !seg.Binary || seg.Text != "" || seg.MessageClass != 1 || seg.Total != 0 ||
			!bytes.Equal(seg.Header, []byte{6, 5, 4, 0x15, 0x81, 0x15, 0x81}) || len(seg.UserData) != 117-7 {
			t.Errorf("got %+v, %v", seg, err)
		}
	})
	t.Run("deliver_sm with network type TLVs", func(t *testing.T) {
		sm := sampleShortMessage(t, "deliver_sm_tlvs_dest_network_type.hex")
		seg, err := DecodeSMS(sm)
		if err != nil || seg.Text != "¡¤#!%&/:" || seg.Source != (smpp.Address{Addr: "87654321", TON: 2, NPI: 1}) || seg.Dest != (smpp.Address{Addr: "40404", TON: 4, NPI: 9}) {
			t.Errorf("got %+v, %v", seg, err)
		}
	})
}

func TestDecodeSMSCodingsAndErrors(t *testing.T) {
	cases := []struct {
		dc   uint8
		in   []byte
		want string
	}{
		{0x01, []byte("Hi\x80"), "Hi\uFFFD"},
		{0x03, []byte("\xe7a va\x00"), "ça va"},
		{0x06, []byte{0xbf, 0xe0, 0xd8}, "При"},
		{0x07, []byte{0xf9, 0xec}, "של"},
		{0x08, []byte{0xd8, 0x3d, 0xde, 0x00, 0x00, 0x41}, "😀A"},
		{0x08, []byte{0xd8, 0x3d, 0x00}, "\uFFFD\uFFFD"},
		{0x18, []byte{0x04, 0x3f}, "п"}, // TS 23.038 general group, UCS2, class 0
		{0xE0, []byte{0x00, 0x41}, "A"},
		{0xC0, []byte{0x1b, 0x65}, "€"},
	}
	for _, c := range cases {
		seg, err := DecodeSMS(&smpp.ShortMessage{DataCoding: c.dc, Message: c.in})
		if err != nil || seg.Text != c.want {
			t.Errorf("dc 0x%02x % x: %q, %v; want %q", c.dc, c.in, seg.Text, err, c.want)
		}
	}
	for _, dc := range []uint8{0x05, 0x09, 0x0A, 0x0D, 0x0E, 0x24, 0x40, 0xBF} {
		if _, err := DecodeSMS(&smpp.ShortMessage{DataCoding: dc}); !errors.Is(err, ErrUnsupportedDataCoding) {
			t.Errorf("dc 0x%02x: %v", dc, err)
		}
	}
	bad := []*smpp.ShortMessage{
		{ESMClass: 0x40, Message: []byte{5, 0, 3, 1}},
		{ESMClass: 0x40, Message: []byte{3, 0, 2, 1, 2}},
		{ESMClass: 0x40, Message: []byte{2, 0, 5}},
		{ESMClass: 0x40},
	}
	for _, sm := range bad {
		if _, err := DecodeSMS(sm); !errors.Is(err, ErrBadUDH) {
			t.Errorf("% x: %v, want ErrBadUDH", sm.Message, err)
		}
	}
	sar := &smpp.ShortMessage{TLVs: []smpp.TLV{{Tag: smpp.TagSARMsgRefNum, Value: []byte{1}}}}
	if _, err := DecodeSMS(sar); !errors.Is(err, ErrBadSAR) {
		t.Errorf("short SAR: %v", err)
	}
}

func TestDecodeSMSPackedGSM7(t *testing.T) {
	// "hellohello" packed, then the same after a UDH8 with one fill bit.
	seg, err := DecodeSMSWith(&smpp.ShortMessage{Message: []byte{0xe8, 0x32, 0x9b, 0xfd, 0x46, 0x97, 0xd9, 0xec, 0x37}}, SMSDecodeOptions{PackedGSM7: true})
	if err != nil || seg.Text != "hellohello" {
		t.Errorf("packed: %q, %v", seg.Text, err)
	}
	udh := []byte{5, 0, 3, 7, 2, 2}
	// 'h' 'i' after one fill bit: 'h'<<1, then 'i' in the next octet.
	msg := append(udh, 0xd0, 0x69)
	seg, err = DecodeSMSWith(&smpp.ShortMessage{ESMClass: 0x40, Message: msg}, SMSDecodeOptions{PackedGSM7: true})
	if err != nil || seg.Text != "hi" || seg.Seq != 2 || seg.Ref != 7 {
		t.Errorf("packed after UDH: %q, %+v, %v", seg.Text, seg, err)
	}
}

func BenchmarkSMSFromMessageGSM3Parts(b *testing.B) {
	m := textMessage(strings.Repeat("The quick brown fox jumps over the lazy dog {42}. ", 8))
	for b.Loop() {
		if sms, err := SMSFromMessage(m, testRoute); err != nil || len(sms) != 3 {
			b.Fatal(len(sms), err)
		}
	}
}

func BenchmarkSMSFromMessageUCS23Parts(b *testing.B) {
	m := textMessage(strings.Repeat("Съешь же ещё этих мягких булок 😀 ", 5))
	for b.Loop() {
		if sms, err := SMSFromMessage(m, testRoute); err != nil || len(sms) != 3 {
			b.Fatal(len(sms), err)
		}
	}
}
