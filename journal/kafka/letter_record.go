package kafka

import (
	"encoding/binary"
	"fmt"
)

// A letter record is the value of one Kafka record of the letters topic:
// the data one instance sent to the owner of the partition it is in.
// Version 1, integers big-endian:
//
//	 0         1       2          10
//	+---------+-------+----------+-----------------------+
//	| version | flags | sender   | data (the rest)       |
//	| 0x01    | 0x00  | u64      | at most MaxDataSize   |
//	+---------+-------+----------+-----------------------+
//
// sender is the random id of the instance that sent it (the writer id of
// its journal records), for the logs of the one that receives it. The
// flags byte is reserved and zero. The record has no key.
const (
	letterVersion   = 1
	letterHeaderLen = 10
)

// letterRecord is a decoded letters-topic record value.
type letterRecord struct {
	sender uint64
	data   []byte
}

// appendLetter appends the encoding of r to dst. r.data must be at most
// MaxDataSize bytes.
func appendLetter(dst []byte, r letterRecord) []byte {
	dst = append(dst, letterVersion, 0)
	dst = binary.BigEndian.AppendUint64(dst, r.sender)
	return append(dst, r.data...)
}

// decodeLetter decodes a letters-topic record value. The result shares
// no memory with b; empty data decodes as nil.
func decodeLetter(b []byte) (letterRecord, error) {
	switch {
	case len(b) < letterHeaderLen:
		return letterRecord{}, fmt.Errorf("%w: letter of %d bytes", ErrCorrupt, len(b))
	case b[0] != letterVersion || b[1] != 0:
		return letterRecord{}, fmt.Errorf("%w: letter version %d flags %#x", ErrCorrupt, b[0], b[1])
	case len(b)-letterHeaderLen > MaxDataSize:
		return letterRecord{}, fmt.Errorf("%w: letter data of %d bytes", ErrCorrupt, len(b)-letterHeaderLen)
	}
	r := letterRecord{sender: binary.BigEndian.Uint64(b[2:])}
	if len(b) > letterHeaderLen {
		r.data = append([]byte(nil), b[letterHeaderLen:]...)
	}
	return r, nil
}
