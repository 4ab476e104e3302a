// Package translate holds the pure mappings between each adapter's structs
// and cpm.Message / cpm.Report: CPIM bodies on SIP, SMS character sets and
// segmentation, MO reassembly, delivery receipts and their status table.
//
// It is the only package that sees both worlds. It does no I/O and reads no
// clock: time is passed in.
package translate
