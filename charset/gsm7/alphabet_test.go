package gsm7

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/transform"
)

var _ encoding.Encoding = (*Encoding)(nil)

func TestTablesHave128DistinctCodes(t *testing.T) {
	for lang, rows := range lockingTables {
		if rows == nil {
			continue
		}
		seen := map[rune]int{}
		code := 0
		for _, row := range rows {
			if n := utf8.RuneCountInString(row); n != 16 {
				t.Errorf("language %d row %q has %d runes", lang, row, n)
			}
			for _, r := range row {
				if prev, dup := seen[r]; dup {
					t.Errorf("language %d: %q at 0x%02x and 0x%02x", lang, r, prev, code)
				}
				seen[r] = code
				code++
			}
		}
		if code != 128 || seen['\x1b'] != Escape {
			t.Errorf("language %d: %d codes, ESC at 0x%02x", lang, code, seen['\x1b'])
		}
	}
}

func TestEncodeKnownCodes(t *testing.T) {
	cases := []struct {
		locking, single Language
		in              string
		want            []byte
	}{
		{Default, Default, "@£$", []byte{0x00, 0x01, 0x02}},
		{Default, Default, "Δ_ñà\n\r", []byte{0x10, 0x11, 0x7D, 0x7F, 0x0A, 0x0D}},
		{Default, Default, "€{}[]~\\|^\f", []byte{0x1B, 0x65, 0x1B, 0x28, 0x1B, 0x29, 0x1B, 0x3C, 0x1B, 0x3E, 0x1B, 0x3D, 0x1B, 0x2F, 0x1B, 0x40, 0x1B, 0x14, 0x1B, 0x0A}},
		{Default, Default, "¡¿§¤", []byte{0x40, 0x60, 0x5F, 0x24}},
		{Turkish, Turkish, "ğİç€", []byte{0x0C, 0x40, 0x60, 0x04}},
		{Default, Turkish, "şĞı", []byte{0x1B, 0x73, 0x1B, 0x47, 0x1B, 0x69}},
		{Default, Spanish, "áÚç", []byte{0x1B, 0x61, 0x1B, 0x55, 0x1B, 0x09}},
		{Portuguese, Portuguese, "ãõ`~|", []byte{0x7B, 0x7C, 0x7D, 0x60, 0x1A}},
		{Portuguese, Portuguese, "âΦ", []byte{0x1D, 0x1B, 0x12}},
		{Default, Portuguese, "âÃ", []byte{0x1B, 0x7F, 0x1B, 0x5B}},
	}
	for _, c := range cases {
		e, err := New(c.locking, c.single)
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.NewEncoder().Bytes([]byte(c.in))
		if err != nil || !bytes.Equal(got, c.want) {
			t.Errorf("%v encode %q = % x, %v; want % x", e, c.in, got, err, c.want)
		}
		back, err := e.NewDecoder().Bytes(got)
		if err != nil || string(back) != c.in {
			t.Errorf("%v decode % x = %q, %v; want %q", e, got, back, err, c.in)
		}
		app, err := e.AppendEncode(nil, c.in)
		if err != nil || !bytes.Equal(app, c.want) || e.DecodeString(app) != c.in {
			t.Errorf("%v AppendEncode %q = % x, %v", e, c.in, app, err)
		}
	}
}

func TestNewRejectsMissingTables(t *testing.T) {
	for _, c := range [][2]Language{{Spanish, Default}, {Default, 14}, {200, Default}} {
		if _, err := New(c[0], c[1]); !errors.Is(err, ErrNoTable) {
			t.Errorf("New(%d, %d) = %v, want ErrNoTable", c[0], c[1], err)
		}
	}
}

func TestDecodeInvalidAndEscapes(t *testing.T) {
	cases := []struct {
		in   []byte
		want string
	}{
		{[]byte{0x48, 0x80, 0x49}, "H\uFFFDI"},
		{[]byte{0x1B, 0x00}, "@"},        // undefined in the extension table: main char
		{[]byte{0x1B, 0x1B, 0x41}, " A"}, // reserved ESC ESC: a space
		{[]byte{0x41, 0x1B}, "A\uFFFD"},  // lone ESC at the end
		{[]byte{0x1B, 0xFF}, "\uFFFD\uFFFD"},
	}
	for _, c := range cases {
		got, err := DefaultAlphabet().NewDecoder().Bytes(c.in)
		if err != nil || string(got) != c.want {
			t.Errorf("decode % x = %q, %v; want %q", c.in, got, err, c.want)
		}
		if s := DefaultAlphabet().DecodeString(c.in); s != c.want {
			t.Errorf("DecodeString % x = %q, want %q", c.in, s, c.want)
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	_, err := DefaultAlphabet().NewEncoder().String("abc á")
	var ue *UnrepresentableError
	if !errors.As(err, &ue) || ue.Rune != 'á' || !errors.Is(err, ErrUnrepresentable) {
		t.Errorf("encode á: %v", err)
	}
	if _, err := DefaultAlphabet().NewEncoder().String("a\xffb"); !errors.Is(err, ErrInvalidUTF8) {
		t.Errorf("encode invalid UTF-8: %v", err)
	}
	if _, err := DefaultAlphabet().AppendEncode(nil, "😀"); !errors.Is(err, ErrUnrepresentable) {
		t.Errorf("AppendEncode emoji: %v", err)
	}
}

// Streaming one byte at a time must give the same result, an ESC pair
// split across reads included.
func TestStreamingOneByteAtATime(t *testing.T) {
	in := "a€{x}ÄΔ"
	r := transform.NewReader(iotest.OneByteReader(strings.NewReader(in)), DefaultAlphabet().NewEncoder())
	enc, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	d := transform.NewReader(iotest.OneByteReader(bytes.NewReader(enc)), DefaultAlphabet().NewDecoder())
	dec, err := io.ReadAll(d)
	if err != nil || string(dec) != in {
		t.Errorf("stream round trip = %q, %v", dec, err)
	}
}

func TestSeptetsAndCanEncode(t *testing.T) {
	cases := []struct {
		in string
		n  int
		ok bool
	}{
		{"", 0, true},
		{"hello", 5, true},
		{"€", 2, true},
		{"[x]", 5, true},
		{"añb", 3, true},
		{"aáb", 2, false},
		{"\xff", 0, false},
	}
	for _, c := range cases {
		n, ok := Septets(c.in)
		if n != c.n || ok != c.ok || CanEncode(c.in) != c.ok {
			t.Errorf("Septets(%q) = %d, %v; want %d, %v", c.in, n, ok, c.n, c.ok)
		}
	}
	if DefaultAlphabet().RuneSeptets('€') != 2 || DefaultAlphabet().RuneSeptets('a') != 1 || DefaultAlphabet().RuneSeptets('á') != 0 {
		t.Error("RuneSeptets")
	}
}

func FuzzCodec(f *testing.F) {
	f.Add([]byte("hello"), uint8(0), uint8(0))
	f.Add([]byte{0x1B, 0x65, 0x1B, 0x1B, 0x80}, uint8(0), uint8(1))
	f.Add([]byte{0x0C, 0x1B, 0x73}, uint8(1), uint8(1))
	f.Fuzz(func(t *testing.T, septets []byte, locking, single uint8) {
		e, err := New(Language(locking%4), Language(single%4))
		if err != nil {
			return
		}
		text, err := e.NewDecoder().String(string(septets))
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		if text != e.DecodeString(septets) {
			t.Fatalf("decoder and DecodeString differ on % x", septets)
		}
		if strings.ContainsRune(text, utf8.RuneError) {
			return // U+FFFD marks invalid input and is not representable
		}
		enc, err := e.NewEncoder().String(text)
		if err != nil {
			t.Fatalf("encode %q: %v", text, err)
		}
		again, _ := e.NewDecoder().String(enc)
		if again != text {
			t.Fatalf("round trip %q -> % x -> %q", text, enc, again)
		}
	})
}

func FuzzEncode(f *testing.F) {
	f.Add("hello €{}")
	f.Add("ñandú")
	f.Add("😀")
	f.Fuzz(func(t *testing.T, s string) {
		e := DefaultAlphabet()
		enc, err := e.AppendEncode(nil, s)
		n, ok := e.Septets(s)
		if (err == nil) != ok {
			t.Fatalf("AppendEncode err %v but Septets ok %v", err, ok)
		}
		if err != nil {
			return
		}
		if n != len(enc) {
			t.Fatalf("Septets %d, encoded %d", n, len(enc))
		}
		if got := e.DecodeString(enc); got != s {
			t.Fatalf("round trip %q -> %q", s, got)
		}
	})
}

func BenchmarkEncode(b *testing.B) {
	s := strings.Repeat("Hello, world! Price 5€ {ok} ", 6)
	b.SetBytes(int64(len(s)))
	buf := make([]byte, 0, 256)
	for b.Loop() {
		buf, _ = DefaultAlphabet().AppendEncode(buf[:0], s)
	}
}

func BenchmarkDecode(b *testing.B) {
	enc, _ := DefaultAlphabet().AppendEncode(nil, strings.Repeat("Hello, world! Price 5€ {ok} ", 6))
	b.SetBytes(int64(len(enc)))
	for b.Loop() {
		_ = DefaultAlphabet().DecodeString(enc)
	}
}
