package translate

import (
	"strings"
	"testing"
)

func TestChooseSMSEncoding(t *testing.T) {
	cases := []struct {
		text   string
		latin1 bool
		want   SMSEncoding
	}{
		{"hello", false, SMSGSM7},
		{"hello", true, SMSGSM7},
		{"Ünïcode? no: Ü ñ é", false, SMSUCS2}, // ï is not GSM
		{"ñandú", true, SMSLatin1},
		{"ñandú", false, SMSUCS2},
		{"price 5€", true, SMSGSM7}, // € is GSM (extension), not Latin-1
		{"😀", true, SMSUCS2},
		{strings.Repeat("{", 140), true, SMSLatin1}, // 280 septets: 2 SMS; 140 octets: 1
		{strings.Repeat("{", 80), true, SMSGSM7},    // 160 septets: 1 SMS, tie
		{strings.Repeat("{", 140), false, SMSGSM7},  // Latin-1 not allowed
		{"", false, SMSGSM7},
	}
	for _, c := range cases {
		if got := ChooseSMSEncoding(c.text, c.latin1); got != c.want {
			t.Errorf("ChooseSMSEncoding(%.20q, %v) = %v, want %v", c.text, c.latin1, got, c.want)
		}
	}
}

func TestDataCodingAlphabet(t *testing.T) {
	want := map[uint8]alphabet{
		0x00: alphaGSM7, 0x01: alphaASCII, 0x02: alphaBinary, 0x03: alphaLatin1, 0x04: alphaBinary,
		0x05: alphaUnsupported, 0x08: alphaUCS2, 0x10: alphaGSM7, 0x14: alphaBinary, 0x18: alphaUCS2,
		0x1C: alphaUnsupported, 0x20: alphaUnsupported, 0xC5: alphaGSM7, 0xE1: alphaUCS2,
		0xF0: alphaGSM7, 0xF2: alphaGSM7, 0xF4: alphaBinary, 0xF5: alphaBinary,
	}
	for dc, a := range want {
		if got := dataCodingAlphabet(dc); got != a {
			t.Errorf("0x%02x: %d, want %d", dc, got, a)
		}
	}
}
