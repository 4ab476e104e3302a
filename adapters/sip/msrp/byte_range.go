package msrp

import (
	"errors"
	"strconv"
	"strings"
)

// Unknown stands for "*" in a ByteRange end or total.
const Unknown int64 = -1

// ByteRange is the Byte-Range header of RFC 4975 section 7.1.1:
//
//	Byte-Range: <start>-<end>/<total>
//
// Start is the 1-based position of the chunk's first byte in the whole
// message; End is the position of its last byte and Total the message
// size, either of them Unknown ("*"). An empty message is "1-0/0".
type ByteRange struct {
	Start int64
	End   int64
	Total int64
}

var errByteRange = errors.New("want <start>-<end|*>/<total|*>")

// ParseByteRange parses a Byte-Range header value such as "1-25/25".
func ParseByteRange(s string) (ByteRange, error) {
	dash := strings.IndexByte(s, '-')
	slash := strings.IndexByte(s, '/')
	if dash < 0 || slash < dash {
		return ByteRange{}, headerError("Byte-Range", s, errByteRange)
	}
	start, ok1 := parseDigits(s[:dash])
	end, ok2 := parseStarOrDigits(s[dash+1 : slash])
	total, ok3 := parseStarOrDigits(s[slash+1:])
	if !ok1 || !ok2 || !ok3 {
		return ByteRange{}, headerError("Byte-Range", s, errByteRange)
	}
	r := ByteRange{Start: start, End: end, Total: total}
	if err := r.validate(); err != nil {
		return ByteRange{}, headerError("Byte-Range", s, err)
	}
	return r, nil
}

func parseStarOrDigits(s string) (int64, bool) {
	if s == "*" {
		return Unknown, true
	}
	return parseDigits(s)
}

// validate checks 1 <= Start, Start-1 <= End <= Total.
func (r ByteRange) validate() error {
	switch {
	case r.Start < 1:
		return errors.New("start must be at least 1")
	case r.End < Unknown || r.Total < Unknown:
		return errors.New("negative end or total")
	case r.End != Unknown && r.End < r.Start-1:
		return errors.New("end before start")
	case r.Total != Unknown && r.End != Unknown && r.End > r.Total:
		return errors.New("end beyond total")
	case r.Total != Unknown && r.Start-1 > r.Total:
		return errors.New("start beyond total")
	}
	return nil
}

// String returns the header value, e.g. "1-*/8".
func (r ByteRange) String() string {
	return string(r.appendTo(nil))
}

func (r ByteRange) appendTo(b []byte) []byte {
	b = strconv.AppendInt(b, r.Start, 10)
	b = append(b, '-')
	b = appendStarOrInt(b, r.End)
	b = append(b, '/')
	return appendStarOrInt(b, r.Total)
}

func appendStarOrInt(b []byte, n int64) []byte {
	if n == Unknown {
		return append(b, '*')
	}
	return strconv.AppendInt(b, n, 10)
}
