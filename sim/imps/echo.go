package imps

import (
	"encoding/base64"
	"fmt"
	"mime"
	"strings"
	"unicode/utf8"

	"github.com/iwf-gateway/iwf/adapters/imps/wv"
)

// maxEchoes bounds the NewMessages one SendMessage-Request gets back, so
// that a request to a long recipient list does not flood the inbox.
const maxEchoes = 8

// echoesOf returns one NewMessage per recipient user of req (groups and
// contact lists do not answer), each from that user to req's sender, or
// to account when req names no sender user. Text comes back as
// "echo: <text>"; other content comes back unchanged.
func echoesOf(account string, req *wv.SendMessageRequest) ([]wv.NewMessage, error) {
	info, data, err := echoContent(req)
	if err != nil {
		return nil, err
	}
	to := account
	if u := req.MessageInfo.Sender.User; u != nil && u.UserID != "" {
		to = u.UserID
	}
	var out []wv.NewMessage
	for _, r := range req.MessageInfo.Recipient.Users {
		if len(out) == maxEchoes {
			break
		}
		m := wv.NewMessage{MessageInfo: info, ContentData: data}
		m.MessageInfo.Sender = wv.Sender{User: &wv.User{UserID: r.UserID}}
		m.MessageInfo.Recipient = wv.Recipient{Users: []wv.User{{UserID: to}}}
		out = append(out, m)
	}
	return out, nil
}

// echoContent returns the MessageInfo content fields and ContentData of
// the echo of req.
func echoContent(req *wv.SendMessageRequest) (wv.MessageInfo, string, error) {
	in := req.MessageInfo
	raw := []byte(req.ContentData)
	if strings.EqualFold(in.ContentEncoding, "BASE64") {
		var err error
		raw, err = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(req.ContentData), ""))
		if err != nil {
			return wv.MessageInfo{}, "", fmt.Errorf("imps: content is not base64: %w", err)
		}
	}
	if isText(in.ContentType) && isXMLText(raw) {
		text := "echo: " + string(raw)
		return wv.MessageInfo{ContentType: "text/plain; charset=utf-8", ContentEncoding: "None",
			ContentSize: uint32(len(text))}, text, nil
	}
	out := wv.MessageInfo{ContentType: in.ContentType, ContentEncoding: in.ContentEncoding, ContentSize: uint32(len(raw))}
	return out, req.ContentData, nil
}

// isText reports whether a CSP ContentType is text; an absent one is
// text/plain (WV-CSP's default).
func isText(contentType string) bool {
	if contentType == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && strings.HasPrefix(mt, "text/")
}

// isXMLText reports whether b is UTF-8 that an XML 1.0 document can carry
// as character data; anything else must stay base64 on the way back.
func isXMLText(b []byte) bool {
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		switch {
		case r == utf8.RuneError && n <= 1:
			return false
		case r < 0x20 && r != '\t' && r != '\n' && r != '\r', r == 0xFFFE, r == 0xFFFF:
			return false
		}
		b = b[n:]
	}
	return true
}
