package wv

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden and the FuzzDecode seed corpus")

func inband() SessionDescriptor {
	return SessionDescriptor{SessionType: SessionInband, SessionID: "im.user.com#48815@server.com"}
}

func request(id string, p Primitive) Message {
	return Message{Version: Version11, Session: inband(), Transactions: []Transaction{{
		Descriptor: TransactionDescriptor{TransactionMode: ModeRequest, TransactionID: id},
		Primitive:  p,
	}}}
}

func response(id string, p Primitive) Message {
	m := request(id, p)
	m.Transactions[0].Descriptor.TransactionMode = ModeResponse
	m.Transactions[0].Descriptor.Poll = NewBool(false)
	return m
}

func outband(m Message) Message {
	m.Session = SessionDescriptor{SessionType: SessionOutband}
	return m
}

func groupInfo(id string, size uint32) MessageInfo {
	return MessageInfo{
		MessageID: id, ContentType: "text/plain", ContentEncoding: "None", ContentSize: size,
		Recipient: Recipient{Groups: []Group{{ScreenName: &ScreenName{SName: "Johnnie", GroupID: "wv:john/chatgroup@there.com"}}}},
		Sender:    Sender{Group: &Group{ScreenName: &ScreenName{SName: "Wicked Vicky", GroupID: "wv:john/chatgroup@there.com"}}},
		DateTime:  "20010925T1340Z", Validity: 600,
	}
}

func sendMessageRequest() *SendMessageRequest {
	return &SendMessageRequest{
		DeliveryReport: true,
		MessageInfo: MessageInfo{
			ContentType: "text/plain; charset=utf-8", ContentEncoding: "None", ContentSize: 27,
			Recipient: Recipient{
				Users:        []User{{UserID: "wv:he@there.com"}, {UserID: "wv:she@there.com", ClientID: &ClientID{MSISDN: "+358401234567"}}},
				Groups:       []Group{{GroupID: "wv:john/chatgroup@there.com"}},
				ContactLists: []string{"wv:john/My_friends@smith.com"},
			},
			Sender:   Sender{User: &User{UserID: "wv:john@smith.com"}},
			DateTime: "20010925T1340Z", Validity: 600,
		},
		ContentData: "Grüße <&> \"ok\" 😀\r\n\ttab",
	}
}

// goldenCases builds one message per primitive the package models. The
// golden files hold their encoding; the test checks both directions.
func goldenCases() map[string]Message {
	challenge := &LoginResponse{ClientID: ClientID{Text: "Esmertec112233"},
		Result: Result{Code: CodeUnauthorized, Description: "Please complete authentication challenge"},
		Nonce:  "e6b68ebd81309d538357e39e2fba3204", DigestSchema: "MD5", CapabilityRequest: NewBool(false)}
	v12 := request("t12", &KeepAliveRequest{TimeToLive: 20})
	v12.Version = Version12
	return map[string]Message{
		"login-request_password": outband(request("IMApp01#1", &LoginRequest{UserID: "wv:user@im.com",
			ClientID: ClientID{URL: "http://206.226.10.25:80/IMPSAPP"}, Password: "1my2pass3word",
			TimeToLive: 120, SessionCookie: "im.user.com#20011224#328746293"})),
		"login-request_digest": outband(request("IMApp01#2", &LoginRequest{UserID: "wv:user@im.com",
			ClientID: ClientID{Text: "Esmertec112233"}, DigestBytes: "zVdbnyD1r2tCt4DcVCN2aA==",
			DigestSchema: "MD5", SessionCookie: "cookie"})),
		"login-response_401-challenge": outband(response("transId1", challenge)),
		"login-response_200": outband(response("IMApp01#1", &LoginResponse{ClientID: ClientID{URL: "http://206.226.10.25:80/IMPSAPP"},
			Result: Result{Code: CodeOK, Description: "Successfully logged in."}, SessionID: "im.user.com#48815@server.com",
			KeepAliveTime: 120, CapabilityRequest: NewBool(true)})),
		"logout-request":         request("IMApp01#3", &LogoutRequest{}),
		"disconnect":             response("IMApp01#4", &Disconnect{Result: Result{Code: CodeForcedLogout, Description: "Forced logout."}}),
		"keepalive-request":      request("IMApp01#5", &KeepAliveRequest{TimeToLive: 20}),
		"keepalive-request_v1.2": v12,
		"keepalive-response":     response("IMApp01#5", &KeepAliveResponse{Result: Result{Code: CodeOK}, KeepAliveTime: 120}),
		"polling-request":        request("", &PollingRequest{}),
		"status": response("IMApp01#6", &Status{Result: Result{Code: CodePartiallySuccessful, Description: "Partially successful.",
			DetailedResults: []DetailedResult{{Code: CodeUnknownUser, Description: "Unknown user.", UserIDs: []string{"wv:a@im.com", "wv:b@im.com"}},
				{Code: CodeRecipientBlocked, GroupIDs: []string{"wv:g@im.com"}, MessageIDs: []string{"m1"},
					ScreenNames: []ScreenName{{SName: "x", GroupID: "wv:g@im.com"}}}}}, ClientID: &ClientID{URL: "http://c"}}),
		"sendmessage-request":  request("IMApp01#7", sendMessageRequest()),
		"sendmessage-response": response("IMApp01#7", &SendMessageResponse{Result: Result{Code: CodeOK, Description: "Successfully completed."}, MessageID: "0x0000f132"}),
		"newmessage": request("IMApp01#8", &NewMessage{MessageInfo: groupInfo("0x0000f132", 41),
			ContentData: "\n\t\tHi guys, just arrived... How is it going?\n\t"}),
		"messagedelivered": response("IMApp01#8", &MessageDelivered{MessageID: "0x0000f132"}),
		"deliveryreport-request": request("IMApp01#9", &DeliveryReportRequest{Result: Result{Code: CodeOK},
			DeliveryTime: "20010925T1341Z", MessageInfo: groupInfo("0x0000f132", 41)}),
		"getmessage-request":  request("IMApp01#10", &GetMessageRequest{MessageID: "0x0000f132"}),
		"getmessage-response": response("IMApp01#10", &GetMessageResponse{MessageInfo: groupInfo("0x0000f132", 5), ContentData: "hello"}),
		"messagenotification": request("IMApp01#11", &MessageNotification{MessageInfo: groupInfo("0x0000f133", 189)}),
		"two-transactions": func() Message {
			m := request("a", &PollingRequest{})
			m.Transactions = append(m.Transactions, request("b", &GetMessageRequest{MessageID: "x"}).Transactions...)
			return m
		}(),
	}
}

func TestGolden(t *testing.T) {
	for name, want := range goldenCases() {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", "golden", name+".xml")
			got, err := Encode(want, want.Version)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			golden, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, golden) {
				t.Errorf("Encode:\n got %s\nwant %s", got, golden)
			}
			dec, err := Decode(golden)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(dec, want) {
				t.Errorf("Decode:\n got %#v\nwant %#v", dec, want)
			}
		})
	}
}
