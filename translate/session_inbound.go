package translate

import (
	"fmt"

	"github.com/iwf-gateway/iwf/adapters/sip"
	"github.com/iwf-gateway/iwf/cpm"
)

// MessageFromSession maps one message received in an MSRP session (large
// message mode or a file transfer) to a Message, as MessageFromSIP maps a
// pager-mode MESSAGE: r carries the session's addresses and the MSRP
// message's Content-Type and body (and, in CallID, an id unique to the
// message). message/cpim and text/plain are read as in pager mode; any
// other content (a file) becomes one part named filename, from the SDP
// file-selector.
func MessageFromSession(r *sip.Request, filename string) (cpm.Message, error) {
	mt, _, err := parseContentType(r.ContentType)
	if err != nil {
		return cpm.Message{}, err
	}
	if mt == "text/plain" || mt == "message/cpim" {
		return MessageFromSIP(r)
	}
	if len(r.Body) > MaxSIPBody {
		return cpm.Message{}, fmt.Errorf("translate: file of %d bytes over %d: %w", len(r.Body), MaxSIPBody, ErrTooLarge)
	}
	if len(r.Body) == 0 {
		return cpm.Message{}, fmt.Errorf("translate: empty file: %w", ErrMalformed)
	}
	switch mt {
	case "message/imdn+xml", "multipart/mixed", "multipart/related":
		return cpm.Message{}, fmt.Errorf("translate: session content %q: %w", mt, ErrUnsupportedType)
	}
	return cpm.Message{
		ID: SIPMessageID(r), From: sipSender(r), To: cpm.Address(r.RequestURI),
		Parts:          []cpm.Part{{ContentType: r.ContentType, Filename: filename, Body: r.Body}},
		ConversationID: r.ConversationID, ContributionID: r.ContributionID,
	}, nil
}
