package msrp

import "fmt"

// Chunker splits one message into SEND requests (RFC 4975 sections 5.1
// and 7.1): each chunk carries at most Size body bytes, a Byte-Range with
// the known total, and the flag '+' except the last, which has '$'.
type Chunker struct {
	// Size is the most body bytes per chunk; RFC 4975 suggests 2048 so
	// that large messages do not block a session. It must be positive.
	Size int
	// TransactionID returns the transaction id of chunk n (0-based). Each
	// chunk is its own transaction, so ids must differ; the caller picks
	// them (the codec has no randomness or clock).
	TransactionID func(n int) string
}

// Split returns the chunks of body. Each chunk copies the addressing and
// report headers of tmpl (To-Path, From-Path, Message-ID,
// Success-Report, Failure-Report, Content-Type, Extra); the chunks' Body
// slices alias body. An empty body gives one chunk "1-0/0" with no body.
// Split fails with ErrEndLineInBody when a chunk contains its own
// end-line; the caller retries with other transaction ids.
func (c Chunker) Split(tmpl *Frame, body []byte) ([]*Frame, error) {
	if c.Size <= 0 || c.TransactionID == nil {
		return nil, fmt.Errorf("%w: chunker needs a positive Size and a TransactionID func", ErrInvalidFrame)
	}
	if tmpl.ContentType == "" && len(body) > 0 {
		return nil, fmt.Errorf("%w: body without Content-Type", ErrInvalidFrame)
	}
	total := int64(len(body))
	n := (len(body) + c.Size - 1) / c.Size
	chunks := make([]*Frame, 0, max(n, 1))
	for i := 0; i == 0 || i < n; i++ {
		lo := i * c.Size
		hi := min(lo+c.Size, len(body))
		ch := c.chunk(tmpl, i)
		ch.ByteRange = &ByteRange{Start: int64(lo) + 1, End: int64(hi), Total: total}
		if hi > lo {
			ch.Body = body[lo:hi]
		}
		if hi < len(body) {
			ch.Flag = FlagMore
		}
		if err := ch.Validate(); err != nil {
			return nil, fmt.Errorf("msrp: chunk %d: %w", i, err)
		}
		chunks = append(chunks, ch)
	}
	return chunks, nil
}

func (c Chunker) chunk(tmpl *Frame, i int) *Frame {
	return &Frame{
		TransactionID: c.TransactionID(i),
		Method:        MethodSEND,
		ToPath:        tmpl.ToPath,
		FromPath:      tmpl.FromPath,
		MessageID:     tmpl.MessageID,
		SuccessReport: tmpl.SuccessReport,
		FailureReport: tmpl.FailureReport,
		ContentType:   tmpl.ContentType,
		Extra:         tmpl.Extra,
		Flag:          FlagEnd,
	}
}
