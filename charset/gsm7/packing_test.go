package gsm7

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
)

func mustHex(t testing.TB, s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPackGolden(t *testing.T) {
	cases := []struct{ text, hex string }{
		{"hellohello", "e8329bfd4697d9ec37"},
		{"hello world", "e8329bfd06dddf723619"},
		{"1234567", "31d98c56b3dd00"}, // seven septets leave seven spare bits
		{"12345678", "31d98c56b3dd70"},
	}
	for _, c := range cases {
		septets, err := DefaultAlphabet().AppendEncode(nil, c.text)
		if err != nil {
			t.Fatal(err)
		}
		packed, err := Pack(septets, 0)
		if err != nil || hex.EncodeToString(packed) != c.hex {
			t.Errorf("Pack(%q) = %x, %v; want %s", c.text, packed, err, c.hex)
		}
		back, err := Unpack(mustHex(t, c.hex), 0, len(septets))
		if err != nil || !bytes.Equal(back, septets) {
			t.Errorf("Unpack(%s) = % x, %v", c.hex, back, err)
		}
	}
}

// bitsPack is an independent oracle: it lays septets out bit by bit.
func bitsPack(septets []byte, fill int) []byte {
	var bits []byte
	for range fill {
		bits = append(bits, 0)
	}
	for _, s := range septets {
		for i := range 7 {
			bits = append(bits, (s>>i)&1)
		}
	}
	out := make([]byte, (len(bits)+7)/8)
	for i, b := range bits {
		out[i/8] |= b << (i % 8)
	}
	return out
}

func TestPackFillBitsMatchOracle(t *testing.T) {
	septets, _ := DefaultAlphabet().AppendEncode(nil, "Concatenated text {after} a UDH")
	for fill := range 7 {
		got, err := Pack(septets, fill)
		if err != nil || !bytes.Equal(got, bitsPack(septets, fill)) {
			t.Errorf("fill %d: % x, %v", fill, got, err)
		}
		back, err := Unpack(got, fill, len(septets))
		if err != nil || !bytes.Equal(back, septets) {
			t.Errorf("fill %d unpack: % x, %v", fill, back, err)
		}
	}
}

func TestFillBitsAndHeaderSeptets(t *testing.T) {
	// UDH 05 00 03 ref total seq: 6 octets, 1 fill bit, 7 septets.
	if FillBits(6) != 1 || HeaderSeptets(6) != 7 {
		t.Errorf("6-octet UDH: fill %d septets %d", FillBits(6), HeaderSeptets(6))
	}
	// UDH 06 08 04 ref ref total seq: 7 octets, 0 fill bits, 8 septets.
	if FillBits(7) != 0 || HeaderSeptets(7) != 8 {
		t.Errorf("7-octet UDH: fill %d septets %d", FillBits(7), HeaderSeptets(7))
	}
	if FillBits(0) != 0 || HeaderSeptets(0) != 0 {
		t.Error("no UDH")
	}
}

func TestPackErrors(t *testing.T) {
	if _, err := Pack([]byte{0x80}, 0); !errors.Is(err, ErrNotSeptet) {
		t.Errorf("Pack 0x80: %v", err)
	}
	if _, err := Pack(nil, 7); !errors.Is(err, ErrFillBits) {
		t.Errorf("Pack fill 7: %v", err)
	}
	if _, err := Unpack([]byte{0xff}, 0, 2); !errors.Is(err, ErrShortPacked) {
		t.Errorf("Unpack short: %v", err)
	}
	if _, err := Unpack([]byte{0xff}, -1, 1); !errors.Is(err, ErrFillBits) {
		t.Errorf("Unpack fill -1: %v", err)
	}
}

func TestUnpackAllDropsPadding(t *testing.T) {
	cases := []struct {
		hex, want string
	}{
		{"e8329bfd4697d9ec37", "hellohello"},
		{"31d98c56b3dd00", "1234567"},  // zero padding dropped
		{"31d98c56b3dd1a", "1234567"},  // CR padding dropped
		{"31d98c56b3dd70", "12345678"}, // a real eighth septet kept
	}
	for _, c := range cases {
		got := DefaultAlphabet().DecodeString(UnpackAll(mustHex(t, c.hex)))
		if got != c.want {
			t.Errorf("UnpackAll(%s) = %q, want %q", c.hex, got, c.want)
		}
	}
}

func FuzzPack(f *testing.F) {
	f.Add([]byte("hellohello"), uint8(0))
	f.Add([]byte{0x7f, 0x00, 0x1b, 0x65}, uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, fill uint8) {
		septets := make([]byte, len(data))
		for i, b := range data {
			septets[i] = b & 0x7F
		}
		fl := int(fill % 7)
		packed, err := Pack(septets, fl)
		if err != nil {
			t.Fatal(err)
		}
		if len(packed) != PackedLen(len(septets), fl) {
			t.Fatalf("len %d want %d", len(packed), PackedLen(len(septets), fl))
		}
		back, err := Unpack(packed, fl, len(septets))
		if err != nil || !bytes.Equal(back, septets) {
			t.Fatalf("round trip % x -> % x -> % x, %v", septets, packed, back, err)
		}
		_ = UnpackAll(data) // any octets unpack without panic
	})
}

func BenchmarkPack(b *testing.B) {
	septets, _ := DefaultAlphabet().AppendEncode(nil, "Hello world, this is one full SMS of 153 septets after a concatenation header; it goes on and on and on until it is long enough, 0123456789ab")
	b.SetBytes(int64(len(septets)))
	for b.Loop() {
		_, _ = Pack(septets, 1)
	}
}
