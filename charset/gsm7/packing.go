package gsm7

import (
	"errors"
	"fmt"
)

// ErrNotSeptet means an octet given to Pack has its high bit set.
var ErrNotSeptet = errors.New("gsm7: octet is not a septet")

// ErrShortPacked means the packed data holds fewer septets than asked for.
var ErrShortPacked = errors.New("gsm7: packed data too short")

// ErrFillBits means a fill bit count outside 0..6.
var ErrFillBits = errors.New("gsm7: fill bits out of range")

// FillBits is the number of zero fill bits that follow a user data header
// of udhLen octets (the UDHL octet included) so that the first septet of
// the text starts on a septet boundary (TS 23.040 section 9.2.3.24).
func FillBits(udhLen int) int {
	return (7 - (udhLen*8)%7) % 7
}

// HeaderSeptets is the number of septets a user data header of udhLen
// octets and its fill bits take, which TP-UDL counts with the text.
func HeaderSeptets(udhLen int) int {
	return (udhLen*8 + 6) / 7
}

// PackedLen is the number of octets n septets take after fill bits.
func PackedLen(n, fill int) int {
	return (fill + 7*n + 7) / 8
}

// Pack packs unpacked septets (one per octet) into the packed form of
// TS 23.038 section 6.1.2.1.1, least significant bits first, after fill
// zero bits. For a message with a UDH, the packed user data is the header
// followed by Pack(septets, FillBits(len(header))).
//
//	septets  s0 = a6..a0, s1 = b6..b0, ...
//	octet 0  b0 a6 a5 a4 a3 a2 a1 a0   (fill 0)
//	octet 1  c1 c0 b6 b5 b4 b3 b2 b1
func Pack(septets []byte, fill int) ([]byte, error) {
	if fill < 0 || fill > 6 {
		return nil, fmt.Errorf("%w: %d", ErrFillBits, fill)
	}
	out := make([]byte, PackedLen(len(septets), fill))
	bit := fill
	for _, s := range septets {
		if s >= 0x80 {
			return nil, fmt.Errorf("%w: 0x%02x", ErrNotSeptet, s)
		}
		idx, off := bit/8, uint(bit%8)
		out[idx] |= s << off
		if off > 1 {
			out[idx+1] |= s >> (8 - off)
		}
		bit += 7
	}
	return out, nil
}

// Unpack extracts n septets, one per octet, from packed data that starts
// with fill bits.
func Unpack(packed []byte, fill, n int) ([]byte, error) {
	if fill < 0 || fill > 6 {
		return nil, fmt.Errorf("%w: %d", ErrFillBits, fill)
	}
	if n < 0 || fill+7*n > 8*len(packed) {
		return nil, fmt.Errorf("%w: %d septets after %d fill bits in %d octets",
			ErrShortPacked, n, fill, len(packed))
	}
	out := make([]byte, n)
	bit := fill
	for i := range out {
		idx, off := bit/8, uint(bit%8)
		v := packed[idx] >> off
		if off > 1 {
			v |= packed[idx+1] << (8 - off)
		}
		out[i] = v & 0x7F
		bit += 7
	}
	return out, nil
}

// UnpackAll unpacks every septet packed octets hold when the septet count
// is not known (SMPP sm_length counts octets). When the octets end on a
// septet boundary with seven spare bits, the last septet is padding if it
// is 0x00 (zero fill) or CR (the padding TS 23.038 section 6.1.2.3.1
// prescribes) and is dropped; a wanted final CR or '@' there is lost, which
// is why senders of packed SMPP must follow that section.
func UnpackAll(packed []byte) []byte {
	n := len(packed) * 8 / 7
	out, _ := Unpack(packed, 0, n) // n septets always fit
	if len(packed)%7 == 0 && n > 0 && (out[n-1] == 0x00 || out[n-1] == '\r') {
		out = out[:n-1]
	}
	return out
}
