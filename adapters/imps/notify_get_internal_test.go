package imps

import (
	"testing"

	"github.com/iwf-gateway/iwf/adapters/imps/wv"
)

func TestFetchedMessageFillsWhatTheResponseLeavesOut(t *testing.T) {
	note := &wv.MessageNotification{MessageInfo: wv.MessageInfo{MessageID: "m-1", ContentSize: 5,
		Recipient: wv.Recipient{Users: []wv.User{{UserID: "wv:alice@cpm.example.net"}}},
		Sender:    wv.Sender{User: &wv.User{UserID: "wv:bob@imps.example.net"}}}}

	bare := fetchedMessage(note, &wv.GetMessageResponse{ContentData: "hello",
		MessageInfo: wv.MessageInfo{ContentType: "text/plain", ContentSize: 5}})
	if bare.MessageInfo.MessageID != "m-1" || bare.ContentData != "hello" || bare.MessageInfo.ContentType != "text/plain" ||
		bare.MessageInfo.Sender.User.UserID != "wv:bob@imps.example.net" ||
		bare.MessageInfo.Recipient.Users[0].UserID != "wv:alice@cpm.example.net" {
		t.Fatalf("from a bare response: %+v", bare)
	}

	full := fetchedMessage(note, &wv.GetMessageResponse{ContentData: "hi",
		MessageInfo: wv.MessageInfo{MessageID: "m-1", ContentSize: 2,
			Recipient: wv.Recipient{Groups: []wv.Group{{GroupID: "wv:chat@imps.example.net"}}},
			Sender:    wv.Sender{Group: &wv.Group{GroupID: "wv:chat@imps.example.net"}}}})
	if full.MessageInfo.ContentSize != 2 || full.MessageInfo.Sender.User != nil || full.MessageInfo.Sender.Group == nil ||
		len(full.MessageInfo.Recipient.Users) != 0 || len(full.MessageInfo.Recipient.Groups) != 1 {
		t.Fatalf("the response's MessageInfo must win: %+v", full)
	}
}
