package translate

import (
	"errors"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/iwf-gateway/iwf/charset/gsm7"
)

// SMSEncoding is the character set of an SMS as SMPP data_coding names it
// (SMPP 3.4 section 5.2.19). Toward the SMSC iwf uses only the three
// constants below.
//
// SMSGSM7 (data_coding 0, "SMSC default alphabet") is sent as the GSM 7-bit
// default alphabet of 3GPP TS 23.038 with its extension table, one septet
// per octet of short_message, unpacked: the SMSC packs septets for the air
// interface (and, after a UDH, adds the fill bits). Most SMSCs expect this;
// one that wants packed septets on SMPP needs SMSDecodeOptions.PackedGSM7
// on the receive side and is not supported on the send side.
type SMSEncoding uint8

// The encodings SMSFromMessage chooses from.
const (
	SMSGSM7   SMSEncoding = 0x00 // GSM 7-bit default alphabet, unpacked septets
	SMSLatin1 SMSEncoding = 0x03 // ISO-8859-1, one octet per character
	SMSUCS2   SMSEncoding = 0x08 // UTF-16BE, surrogate pairs for runes above U+FFFF
)

// String names the encoding.
func (e SMSEncoding) String() string {
	switch e {
	case SMSGSM7:
		return "gsm7"
	case SMSLatin1:
		return "latin1"
	case SMSUCS2:
		return "ucs2"
	}
	return fmt.Sprintf("data_coding 0x%02x", uint8(e))
}

// ErrUnsupportedDataCoding is matched by every *DataCodingError.
var ErrUnsupportedDataCoding = errors.New("translate: unsupported data_coding")

// DataCodingError names a data_coding translate cannot turn into text:
// JIS, KS C 5601, pictograms, compressed or reserved values.
type DataCodingError struct {
	DataCoding uint8
}

func (e *DataCodingError) Error() string {
	return fmt.Sprintf("translate: unsupported data_coding 0x%02x", e.DataCoding)
}

// Is makes errors.Is(err, ErrUnsupportedDataCoding) true.
func (e *DataCodingError) Is(target error) bool { return target == ErrUnsupportedDataCoding }

// alphabet is how the octets of a short_message encode characters.
type alphabet uint8

const (
	alphaUnsupported alphabet = iota
	alphaGSM7
	alphaASCII
	alphaLatin1
	alphaUCS2
	alphaBinary
	alphaCyrillic
	alphaHebrew
)

// smppAlphabets maps the SMPP 3.4 data_coding values 0x00..0x0F.
var smppAlphabets = [16]alphabet{
	0x00: alphaGSM7,     // SMSC default alphabet (taken to be GSM 03.38)
	0x01: alphaASCII,    // IA5 (CCITT T.50) / ASCII
	0x02: alphaBinary,   // 8-bit binary
	0x03: alphaLatin1,   // ISO-8859-1
	0x04: alphaBinary,   // 8-bit binary
	0x06: alphaCyrillic, // ISO-8859-5
	0x07: alphaHebrew,   // ISO-8859-8
	0x08: alphaUCS2,     // UCS2 (ISO/IEC-10646)
}

// dcsAlphabets maps the alphabet bits (3..2) of a TS 23.038 data coding
// scheme of the general or message-class groups.
var dcsAlphabets = [4]alphabet{alphaGSM7, alphaBinary, alphaUCS2, alphaUnsupported}

// dataCodingAlphabet classifies data_coding: the SMPP values 0x00..0x0F,
// the TS 23.038 uncompressed general coding group 0x10..0x1F, the
// message-waiting groups 0xC0..0xEF and the message-class group 0xF0..0xFF
// (bit 2: 8-bit data, else default alphabet).
func dataCodingAlphabet(dc uint8) alphabet {
	switch {
	case dc < 0x10:
		return smppAlphabets[dc]
	case dc < 0x20:
		return dcsAlphabets[(dc>>2)&3]
	case dc >= 0xC0 && dc < 0xE0:
		return alphaGSM7
	case dc >= 0xE0 && dc < 0xF0:
		return alphaUCS2
	case dc >= 0xF0:
		if dc&0x04 != 0 {
			return alphaBinary
		}
		return alphaGSM7
	}
	return alphaUnsupported
}

// ChooseSMSEncoding picks the encoding that sends text in the fewest
// segments (counted with the 8-bit-reference UDH sizes), preferring GSM
// 7-bit on a tie because every handset reads it: GSM 7-bit when the
// default alphabet and its extension table hold every rune; else Latin-1
// when the route allows it and every rune is in ISO-8859-1; else UCS-2.
// Latin-1 can beat GSM 7-bit only for text full of extension characters.
func ChooseSMSEncoding(text string, allowLatin1 bool) SMSEncoding {
	septets, gsmOK := gsm7.Septets(text)
	latinOK := allowLatin1 && isLatin1(text)
	switch {
	case gsmOK && latinOK:
		latin := utf8.RuneCountInString(text)
		if segmentCount(latin, limitsFor(SMSLatin1)) < segmentCount(septets, limitsFor(SMSGSM7)) {
			return SMSLatin1
		}
		return SMSGSM7
	case gsmOK:
		return SMSGSM7
	case latinOK:
		return SMSLatin1
	}
	return SMSUCS2
}

func isLatin1(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r > 0xFF || (r == utf8.RuneError && size == 1) {
			return false
		}
		i += size
	}
	return true
}

// segmentCount is the number of segments n units take with UDH8 sizes.
func segmentCount(n int, l smsLimits) int {
	if n <= l.single {
		return 1
	}
	return (n + l.udh8 - 1) / l.udh8
}

// appendSMSRune appends the octets of r in enc (valid for every rune of a
// text ChooseSMSEncoding picked enc for).
func appendSMSRune(dst []byte, enc SMSEncoding, r rune) ([]byte, error) {
	switch enc {
	case SMSGSM7:
		return gsm7.DefaultAlphabet().AppendEncode(dst, string(r))
	case SMSLatin1:
		if r > 0xFF {
			return dst, fmt.Errorf("translate: rune %U not in Latin-1", r)
		}
		return append(dst, byte(r)), nil
	}
	if r > 0xFFFF {
		hi, lo := utf16.EncodeRune(r)
		return append(dst, byte(hi>>8), byte(hi), byte(lo>>8), byte(lo)), nil
	}
	return append(dst, byte(r>>8), byte(r)), nil
}

// decodeSMSText turns user data (unpacked septets for GSM 7-bit) into text.
// Invalid sequences become U+FFFD; binary alphabets have no text.
func decodeSMSText(a alphabet, ud []byte) string {
	switch a {
	case alphaGSM7:
		return gsm7.DefaultAlphabet().DecodeString(ud)
	case alphaASCII:
		return decodeASCII(ud)
	case alphaLatin1:
		return decodeLatin1(ud)
	case alphaUCS2:
		return decodeUTF16BE(ud)
	case alphaCyrillic:
		s, _ := charmap.ISO8859_5.NewDecoder().Bytes(ud)
		return string(s)
	case alphaHebrew:
		s, _ := charmap.ISO8859_8.NewDecoder().Bytes(ud)
		return string(s)
	}
	return ""
}

func decodeASCII(b []byte) string {
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if c >= 0x80 {
			out = utf8.AppendRune(out, utf8.RuneError)
			continue
		}
		out = append(out, c)
	}
	return string(out)
}

func decodeLatin1(b []byte) string {
	out := make([]byte, 0, len(b)+len(b)/2)
	for _, c := range b {
		out = utf8.AppendRune(out, rune(c))
	}
	return string(out)
}

// decodeUTF16BE decodes UCS-2 as UTF-16BE: surrogate pairs join, lone
// surrogates and an odd final octet become U+FFFD.
func decodeUTF16BE(b []byte) string {
	units := make([]uint16, 0, len(b)/2+1)
	for i := 0; i+1 < len(b); i += 2 {
		units = append(units, uint16(b[i])<<8|uint16(b[i+1]))
	}
	out := make([]byte, 0, len(b)+len(b)/2)
	for _, r := range utf16.Decode(units) {
		out = utf8.AppendRune(out, r)
	}
	if len(b)%2 == 1 {
		out = utf8.AppendRune(out, utf8.RuneError)
	}
	return string(out)
}
