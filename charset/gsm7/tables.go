package gsm7

// Tables are data: a locking table is 128 characters written as eight rows
// of sixteen (row n holds codes 0xn0..0xnF); 0x1B is the escape code and
// has no character of its own. A single-shift table lists the codes it
// defines after ESC. Values are from 3GPP TS 23.038 section 6.2.1, 6.2.1.1
// and Annex A. These variables are never written after initialisation.

// shiftEntry is one character of a single-shift table.
type shiftEntry struct {
	code byte
	char rune
}

// lockingRows of the default alphabet (TS 23.038 section 6.2.1).
var defaultLockingRows = [8]string{
	"@£$¥èéùìòÇ\nØø\rÅå",
	"Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ",
	" !\"#¤%&'()*+,-./",
	"0123456789:;<=>?",
	"¡ABCDEFGHIJKLMNO",
	"PQRSTUVWXYZÄÖÑÜ§",
	"¿abcdefghijklmno",
	"pqrstuvwxyzäöñüà",
}

// turkishLockingRows is TS 23.038 Annex A.3.1.
var turkishLockingRows = [8]string{
	"@£$¥€éùıòÇ\nĞğ\rÅå",
	"Δ_ΦΓΛΩΠΨΣΘΞ\x1bŞşßÉ",
	" !\"#¤%&'()*+,-./",
	"0123456789:;<=>?",
	"İABCDEFGHIJKLMNO",
	"PQRSTUVWXYZÄÖÑÜ§",
	"çabcdefghijklmno",
	"pqrstuvwxyzäöñüà",
}

// portugueseLockingRows is TS 23.038 Annex A.3.3.
var portugueseLockingRows = [8]string{
	"@£$¥êéúíóç\nÔô\rÁá",
	"Δ_ªÇÀ∞^\\€Ó|\x1bÂâÊÉ",
	" !\"#º%&'()*+,-./",
	"0123456789:;<=>?",
	"ÍABCDEFGHIJKLMNO",
	"PQRSTUVWXYZÃÕÚÜ§",
	"~abcdefghijklmno",
	"pqrstuvwxyzãõ`üà",
}

// defaultShift is the extension table, TS 23.038 section 6.2.1.1.
var defaultShift = []shiftEntry{
	{0x0A, '\f'}, {0x14, '^'}, {0x28, '{'}, {0x29, '}'}, {0x2F, '\\'},
	{0x3C, '['}, {0x3D, '~'}, {0x3E, ']'}, {0x40, '|'}, {0x65, '€'},
}

// turkishShift is TS 23.038 Annex A.2.1.
var turkishShift = []shiftEntry{
	{0x0A, '\f'}, {0x14, '^'}, {0x28, '{'}, {0x29, '}'}, {0x2F, '\\'},
	{0x3C, '['}, {0x3D, '~'}, {0x3E, ']'}, {0x40, '|'}, {0x47, 'Ğ'},
	{0x49, 'İ'}, {0x53, 'Ş'}, {0x63, 'ç'}, {0x65, '€'}, {0x67, 'ğ'},
	{0x69, 'ı'}, {0x73, 'ş'},
}

// spanishShift is TS 23.038 Annex A.2.2.
var spanishShift = []shiftEntry{
	{0x09, 'ç'}, {0x0A, '\f'}, {0x14, '^'}, {0x28, '{'}, {0x29, '}'},
	{0x2F, '\\'}, {0x3C, '['}, {0x3D, '~'}, {0x3E, ']'}, {0x40, '|'},
	{0x41, 'Á'}, {0x49, 'Í'}, {0x4F, 'Ó'}, {0x55, 'Ú'}, {0x61, 'á'},
	{0x65, '€'}, {0x69, 'í'}, {0x6F, 'ó'}, {0x75, 'ú'},
}

// portugueseShift is TS 23.038 Annex A.2.3.
var portugueseShift = []shiftEntry{
	{0x05, 'ê'}, {0x09, 'ç'}, {0x0A, '\f'}, {0x0B, 'Ô'}, {0x0C, 'ô'},
	{0x0E, 'Á'}, {0x0F, 'á'}, {0x12, 'Φ'}, {0x13, 'Γ'}, {0x14, '^'},
	{0x15, 'Ω'}, {0x16, 'Π'}, {0x17, 'Ψ'}, {0x18, 'Σ'}, {0x19, 'Θ'},
	{0x1F, 'Ê'}, {0x28, '{'}, {0x29, '}'}, {0x2F, '\\'}, {0x3C, '['},
	{0x3D, '~'}, {0x3E, ']'}, {0x40, '|'}, {0x41, 'À'}, {0x49, 'Í'},
	{0x4F, 'Ó'}, {0x55, 'Ú'}, {0x5B, 'Ã'}, {0x5C, 'Õ'}, {0x61, 'Â'},
	{0x65, '€'}, {0x69, 'í'}, {0x6F, 'ó'}, {0x75, 'ú'}, {0x7B, 'ã'},
	{0x7C, 'õ'}, {0x7F, 'â'},
}

// lockingTables and shiftTables are indexed by Language; nil means the
// language has no such table (Spanish has no locking-shift table).
var lockingTables = [...]*[8]string{
	Default:    &defaultLockingRows,
	Turkish:    &turkishLockingRows,
	Spanish:    nil,
	Portuguese: &portugueseLockingRows,
}

var shiftTables = [...][]shiftEntry{
	Default:    defaultShift,
	Turkish:    turkishShift,
	Spanish:    spanishShift,
	Portuguese: portugueseShift,
}
