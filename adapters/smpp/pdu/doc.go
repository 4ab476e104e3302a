// Package pdu is the pure SMPP 3.4 codec of adapters/smpp: it turns whole
// PDUs into a Header, an ordered list of mandatory fields and the optional
// TLVs, and back, byte for byte.
//
// It follows the SMPP 3.4 specification (section 3.2 for the header,
// section 4 for each PDU's mandatory fields, section 5.3 for TLVs). Every
// PDU has the same shape on the wire:
//
//	 0               4               8              12              16
//	+---------------+---------------+---------------+---------------+
//	| command_length| command_id    | command_status| sequence_number|
//	+---------------+---------------+---------------+---------------+
//	| mandatory fields (C-octet strings, 1-octet integers,          |
//	| sm_length + short_message) in the order of section 4          |
//	+---------------------------------------------------------------+
//	| TLVs: tag (2) | length (2) | value (length octets) ...        |
//	+---------------------------------------------------------------+
//
// It replaces github.com/fiorix/go-smpp's smpp/pdu for iwf because that one
// keeps fields in maps (TLV order is lost on re-encode), draws sequence
// numbers from a package-global counter and cannot decode cancel_sm,
// replace_sm or data_sm. This package imports no net, os or log and never
// reads the clock; every size is bounded (MaxLength, per-field maxima).
package pdu
