package addressmap

import "unicode/utf8"

// maxAlphanumericSeptets is the longest alphanumeric address: 3GPP TS
// 23.040 section 9.1.2.5 packs it in at most 10 octets, 11 septets.
const maxAlphanumericSeptets = 11

// gsmBasic holds the non-ASCII characters of the GSM 7-bit default
// alphabet (3GPP TS 23.038 section 6.2.1); every printable ASCII character
// but '`' and the eight below is in it too.
const gsmBasic = "£¥èéùìòÇØøÅåΔΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà"

// gsmExtension holds the characters of the default alphabet extension
// table, each two septets (an escape and the code).
const gsmExtension = "^{}\\[~]|€"

// alphanumeric checks t as an alphanumeric sender name: valid UTF-8,
// only GSM default alphabet characters (no control characters), at most 11
// septets.
func alphanumeric(in, t string) (Number, error) {
	if !utf8.ValidString(t) {
		return Number{}, invalid(in, "alphanumeric address is not valid UTF-8")
	}
	septets := 0
	for _, r := range t {
		n := gsmSeptets(r)
		if n == 0 {
			return Number{}, invalid(in, "alphanumeric address has a character outside the GSM 7-bit alphabet")
		}
		septets += n
	}
	if septets > maxAlphanumericSeptets {
		return Number{}, invalid(in, "alphanumeric address longer than 11 GSM characters")
	}
	return Number{Kind: Alphanumeric, Text: t}, nil
}

// gsmSeptets returns how many septets r takes in the GSM 7-bit default
// alphabet, 0 when it is not there or is a control character.
func gsmSeptets(r rune) int {
	if r >= ' ' && r <= '~' {
		switch r {
		case '`':
			return 0
		case '^', '{', '}', '\\', '[', '~', ']', '|':
			return 2
		}
		return 1
	}
	if r < utf8.RuneSelf {
		return 0
	}
	if r == '€' {
		return 2
	}
	for _, g := range gsmBasic {
		if g == r {
			return 1
		}
	}
	return 0
}
