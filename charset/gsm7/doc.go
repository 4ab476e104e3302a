// Package gsm7 is the GSM 7-bit default alphabet of 3GPP TS 23.038
// (formerly GSM 03.38) section 6.2.1, its extension table (section 6.2.1.1,
// reached with the escape code 0x1B), and the national language locking-
// and single-shift tables of TS 23.038 Annex A for Turkish (A.2.1, A.3.1),
// Spanish (A.2.2, single shift only) and Portuguese (A.2.3, A.3.3).
//
// An Encoding is a golang.org/x/text/encoding.Encoding between UTF-8 and
// unpacked septets, one septet per octet (the form SMPP carries with
// data_coding 0): decoders substitute U+FFFD for octets above 0x7F, encoders
// fail with an *UnrepresentableError for a rune the tables lack. Pack and
// Unpack convert between unpacked septets and the packed form of TS 23.038
// section 6.1.2.1.1, including the fill bits that put the first septet on a
// septet boundary after a user data header (TS 23.040 section 9.2.3.24).
//
// Decoding rules for the escape code, from TS 23.038 section 6.2.1.1: ESC
// followed by a code the single-shift table lacks decodes as the locking
// table's character for that code; ESC ESC (reserved for a further
// extension table) decodes as a space; a lone ESC at the end decodes as
// U+FFFD.
//
// The package is pure: tables are read-only data, every function is safe
// for concurrent use.
package gsm7
