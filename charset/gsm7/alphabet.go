package gsm7

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// Language is a national language identifier of TS 23.038 section
// 6.2.1.2.4, as carried in the UDH national language shift IEs.
type Language uint8

// The languages whose tables this package has.
const (
	Default    Language = 0
	Turkish    Language = 1
	Spanish    Language = 2
	Portuguese Language = 3
)

// Escape is the code that selects the single-shift table for the next
// septet.
const Escape = 0x1B

// ErrNoTable means the requested national language table does not exist
// (or this package does not carry it).
var ErrNoTable = errors.New("gsm7: no such national language table")

// ErrUnrepresentable is matched by every *UnrepresentableError.
var ErrUnrepresentable = errors.New("gsm7: rune not representable")

// ErrInvalidUTF8 is returned by encoders for input that is not UTF-8.
var ErrInvalidUTF8 = errors.New("gsm7: invalid UTF-8")

// UnrepresentableError names a rune that neither the locking nor the
// single-shift table of an Encoding holds.
type UnrepresentableError struct {
	Rune rune
}

func (e *UnrepresentableError) Error() string {
	return fmt.Sprintf("gsm7: rune %U not representable", e.Rune)
}

// Is makes errors.Is(err, ErrUnrepresentable) true.
func (e *UnrepresentableError) Is(target error) bool { return target == ErrUnrepresentable }

// noCode marks a rune without a code.
const noCode = 0xFFFF

// shiftFlag marks a code reached through the escape code.
const shiftFlag = 0x100

// Encoding is one pair of tables: a locking table (the default alphabet or
// a national locking-shift table) and a single-shift table. Its values are
// immutable and safe for concurrent use.
type Encoding struct {
	locking, single Language
	main            [128]rune // code -> rune; main[Escape] is unused
	shift           [128]rune // code after ESC -> rune; 0 where undefined
	ascii           [128]uint16
	other           map[rune]uint16 // runes >= 0x80 -> code | shiftFlag
}

// defaultAlphabet is built once from the tables; never written afterwards.
var defaultAlphabet = mustNew(Default, Default)

// DefaultAlphabet returns the GSM 7-bit default alphabet with the default
// extension table.
func DefaultAlphabet() *Encoding { return defaultAlphabet }

func mustNew(locking, single Language) *Encoding {
	e, err := New(locking, single)
	if err != nil {
		panic(err) // the tables are constants of this package
	}
	return e
}

// New returns the Encoding with the locking table of one language and the
// single-shift table of another (Default for the default alphabet or the
// default extension table).
func New(locking, single Language) (*Encoding, error) {
	if int(locking) >= len(lockingTables) || lockingTables[locking] == nil {
		return nil, fmt.Errorf("%w: locking shift %d", ErrNoTable, locking)
	}
	if int(single) >= len(shiftTables) || shiftTables[single] == nil {
		return nil, fmt.Errorf("%w: single shift %d", ErrNoTable, single)
	}
	e := &Encoding{locking: locking, single: single, other: make(map[rune]uint16)}
	for i := range e.ascii {
		e.ascii[i] = noCode
	}
	for _, se := range shiftTables[single] {
		e.shift[se.code] = se.char
		e.setCode(se.char, uint16(se.code)|shiftFlag)
	}
	code := 0
	for _, row := range lockingTables[locking] {
		for _, r := range row {
			e.main[code] = r
			if code != Escape {
				e.setCode(r, uint16(code)) // a locking code beats a shift code
			}
			code++
		}
	}
	if code != 128 {
		return nil, fmt.Errorf("gsm7: locking table %d has %d codes", locking, code)
	}
	return e, nil
}

func (e *Encoding) setCode(r rune, c uint16) {
	if r < utf8.RuneSelf {
		e.ascii[r] = c
		return
	}
	e.other[r] = c
}

// code returns the code of r (with shiftFlag when it needs ESC).
func (e *Encoding) code(r rune) (uint16, bool) {
	if r >= 0 && r < utf8.RuneSelf {
		c := e.ascii[r]
		return c, c != noCode
	}
	c, ok := e.other[r]
	return c, ok
}

// Languages returns the locking and single-shift languages of e.
func (e *Encoding) Languages() (locking, single Language) { return e.locking, e.single }

// String names the encoding.
func (e *Encoding) String() string {
	return fmt.Sprintf("GSM 7-bit (locking %d, single shift %d)", e.locking, e.single)
}

// Septets counts the septets s takes in e, two for a character from the
// single-shift table. ok is false when s holds a rune e cannot represent or
// is not UTF-8; n then counts only the representable runes.
func (e *Encoding) Septets(s string) (n int, ok bool) {
	ok = true
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		c, found := e.code(r)
		if !found || (r == utf8.RuneError && size == 1) {
			ok = false
			continue
		}
		n += 1 + int(c>>8)
	}
	return n, ok
}

// RuneSeptets is the number of septets r takes in e: 1, 2 (single shift),
// or 0 when e cannot represent it.
func (e *Encoding) RuneSeptets(r rune) int {
	c, ok := e.code(r)
	if !ok {
		return 0
	}
	return 1 + int(c>>8)
}

// CanEncode reports whether every rune of s is representable in e.
func (e *Encoding) CanEncode(s string) bool {
	_, ok := e.Septets(s)
	return ok
}

// Septets counts the septets s takes in the default alphabet, extension
// characters counting two; ok is false when a rune is not representable.
func Septets(s string) (n int, ok bool) { return defaultAlphabet.Septets(s) }

// CanEncode reports whether s is representable in the default alphabet
// with its extension table.
func CanEncode(s string) bool { return defaultAlphabet.CanEncode(s) }
