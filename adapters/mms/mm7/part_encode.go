package mm7

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"mime"
	"strconv"
	"strings"
)

// encodeMultipart writes parts between a boundary that occurs in none of
// them. The boundary is derived from the content, so output is
// deterministic.
func encodeMultipart(parts []Part) (string, []byte, error) {
	if len(parts) == 0 {
		return "", nil, fmt.Errorf("%w: multipart without parts", ErrInvalid)
	}
	encoded := make([][]byte, len(parts))
	h := fnv.New64a()
	size := 0
	for i := range parts {
		b, err := encodePart(&parts[i])
		if err != nil {
			return "", nil, err
		}
		encoded[i] = b
		h.Write(b)
		size += len(b)
	}
	boundary := chooseBoundary(h.Sum64(), encoded)
	var out bytes.Buffer
	out.Grow(size + (len(parts)+1)*(len(boundary)+8))
	for _, b := range encoded {
		out.WriteString("--" + boundary + "\r\n")
		out.Write(b)
		out.WriteString("\r\n")
	}
	out.WriteString("--" + boundary + "--\r\n")
	return boundary, out.Bytes(), nil
}

func chooseBoundary(seed uint64, encoded [][]byte) string {
	for n := 0; ; n++ {
		b := "mm7-" + strconv.FormatUint(seed, 36) + "-" + strconv.Itoa(n)
		clash := false
		for _, e := range encoded {
			if bytes.Contains(e, []byte(b)) {
				clash = true
				break
			}
		}
		if !clash {
			return b
		}
	}
}

// encodePart writes the headers and the transfer-encoded body of p.
func encodePart(p *Part) ([]byte, error) {
	ct, body := p.ContentType, p.Body
	if len(p.Parts) > 0 {
		mt, params, err := p.MediaType()
		if err != nil {
			return nil, err
		}
		if !strings.HasPrefix(mt, "multipart/") {
			return nil, fmt.Errorf("%w: %s with child parts", ErrInvalid, mt)
		}
		boundary, inner, err := encodeMultipart(p.Parts)
		if err != nil {
			return nil, err
		}
		params["boundary"] = boundary
		ct, body = mime.FormatMediaType(mt, params), inner
	} else if mt, _, err := p.MediaType(); err != nil || strings.HasPrefix(mt, "multipart/") {
		return nil, fmt.Errorf("%w: %q without parts or unparsable", ErrContentType, p.ContentType)
	}
	body, err := encodeTransfer(p.TransferEncoding, body)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	out.Grow(len(body) + 256)
	for _, f := range []struct{ name, value string }{
		{"Content-Type", ct},
		{"Content-ID", angle(p.ContentID)},
		{"Content-Location", p.ContentLocation},
		{"Content-Disposition", p.ContentDisposition},
		{"Content-Transfer-Encoding", p.TransferEncoding},
	} {
		if err := writeHeader(&out, f.name, f.value); err != nil {
			return nil, err
		}
	}
	out.WriteString("\r\n")
	out.Write(body)
	return out.Bytes(), nil
}

func angle(id string) string {
	if id == "" {
		return ""
	}
	return "<" + id + ">"
}

// writeHeader writes one header line, refusing values that would break
// the header block.
func writeHeader(out *bytes.Buffer, name, value string) error {
	if value == "" {
		return nil
	}
	if value != strings.TrimSpace(value) || strings.ContainsAny(value, "\r\n\x00") {
		return fmt.Errorf("%w: %s value %q cannot be written", ErrInvalid, name, value)
	}
	out.WriteString(name + ": " + value + "\r\n")
	return nil
}
