package wv

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"testing"
)

const samplesDir = "../../../../shared/specs/imps/samples"

// doctypeLine matches the DOCTYPE declaration the WV-023 examples carry.
var doctypeLine = regexp.MustCompile(`<!DOCTYPE[^>]*>`)

// readSample reads a shared sample. The WV-023 samples declare a DOCTYPE,
// which Decode refuses in production input (TestDecodeRefusesDoctype); the
// declaration is stripped here, and only here, so the examples can be read.
func readSample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(samplesDir, name))
	if err != nil {
		t.Fatalf("read sample: %v", err)
	}
	return doctypeLine.ReplaceAll(b, nil)
}

func skipWithoutSamples(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(samplesDir); err != nil {
		t.Skipf("shared IMPS samples not available at %s: %v", samplesDir, err)
	}
}

func decodeSample(t *testing.T, name string) Message {
	t.Helper()
	m, err := Decode(readSample(t, name))
	if err != nil {
		t.Fatalf("Decode(%s): %v", name, err)
	}
	return m
}

func TestSampleDoctypeRefused(t *testing.T) {
	skipWithoutSamples(t)
	b, err := os.ReadFile(filepath.Join(samplesDir, "wv-003_Login-Request.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(b); !errors.Is(err, ErrDoctype) {
		t.Fatalf("Decode with DOCTYPE: err = %v, want ErrDoctype", err)
	}
}

// TestSamples decodes every modelled primitive among the shared samples and
// checks it field by field, then re-encodes it and decodes it again.
func TestSamples(t *testing.T) {
	skipWithoutSamples(t)
	sid := "im.user.com#48815@server.com"
	tid := "IMApp01#12345@NOK5110"
	poll := NewBool(false)
	req := func(id string, p Primitive) Message {
		return Message{Version: Version11, Session: SessionDescriptor{SessionType: SessionInband, SessionID: sid},
			Transactions: []Transaction{{Descriptor: TransactionDescriptor{TransactionMode: ModeRequest, TransactionID: id}, Primitive: p}}}
	}
	rsp := func(id string, p Primitive) Message {
		m := req(id, p)
		m.Transactions[0].Descriptor = TransactionDescriptor{TransactionMode: ModeResponse, TransactionID: id, Poll: poll}
		return m
	}
	withPoll := func(m Message) Message { m.Transactions[0].Descriptor.Poll = poll; return m }
	noPoll := func(m Message) Message { m.Transactions[0].Descriptor.Poll = nil; return m }
	out := func(m Message) Message { m.Session = SessionDescriptor{SessionType: SessionOutband}; return m }
	johnnie := &ScreenName{SName: "Johnnie", GroupID: "wv:john/chatgroup@there.com"}
	vicky := &ScreenName{SName: "Wicked Vicky", GroupID: "wv:john/chatgroup@there.com"}
	info := func(size uint32) MessageInfo {
		return MessageInfo{MessageID: "0x0000f132", ContentType: "text/plain", ContentEncoding: "None", ContentSize: size,
			Recipient: Recipient{Groups: []Group{{ScreenName: johnnie}}}, Sender: Sender{Group: &Group{ScreenName: vicky}},
			DateTime: "20010925T1340Z", Validity: 600}
	}
	reportInfo := info(41)
	reportInfo.Recipient.Groups[0].ScreenName = &ScreenName{SName: "B. Billy", GroupID: "wv:/happy@hippie.com"}
	reportInfo.Sender.Group.ScreenName = &ScreenName{SName: "Johnnie", GroupID: "wv:/happy@hippie.com"}
	delivered := req("IMApp01#12346@NOK5110", &MessageDelivered{MessageID: "0x0000f132"})
	delivered.Transactions[0].Descriptor.TransactionMode = ModeResponse

	cases := map[string]Message{
		"aosp-csp11_Login-Response_401-digest-challenge.xml": noPoll(out(rsp("transId1", &LoginResponse{
			ClientID: ClientID{Text: "Esmertec112233"},
			Result:   Result{Code: 401, Description: "Please complete authentication challenge"},
			Nonce:    "e6b68ebd81309d538357e39e2fba3204", DigestSchema: "MD5", CapabilityRequest: NewBool(false)}))),
		"wv-001_Status.xml": rsp(tid, &Status{Result: Result{Code: 201, Description: "Partially successful.",
			DetailedResults: []DetailedResult{
				{Code: 531, Description: "Unknown user.", UserIDs: []string{"wv:bad_user1@im.com", "wv:bad_user2@im.com"}},
				{Code: 532, Description: "Blocked.", UserIDs: []string{"wv:bad_user3@im.com", "wv:bad_user4@im.com"}}}}}),
		// wv-002 carries stray page-footer text inside TransactionDescriptor
		// (copied from the spec PDF); character data there is not modelled
		// and is ignored, and the empty TransactionID decodes as "".
		"wv-002_Polling-Request.xml": req("", &PollingRequest{}),
		"wv-003_Login-Request.xml": out(req(tid, &LoginRequest{UserID: "wv:user@im.com",
			ClientID: ClientID{URL: "http://206.226.10.25:80/IMPSAPP"}, Password: "1my2pass3word",
			TimeToLive: 120, SessionCookie: "im.user.com#20011224#328746293"})),
		"wv-004_Login-Response.xml": out(rsp(tid, &LoginResponse{ClientID: ClientID{URL: "http://206.226.10.25:80/IMPSAPP"},
			Result: Result{Code: 200, Description: "Successfully logged in."}, SessionID: sid,
			KeepAliveTime: 120, CapabilityRequest: NewBool(true)})),
		"wv-013_Logout-Request.xml":     req(tid, &LogoutRequest{}),
		"wv-014_Disconnect.xml":         rsp(tid, &Disconnect{Result: Result{Code: 200}}),
		"wv-016_KeepAlive-Request.xml":  req(tid, &KeepAliveRequest{TimeToLive: 20}),
		"wv-017_KeepAlive-Response.xml": rsp(tid, &KeepAliveResponse{Result: Result{Code: 200, Description: "Successfully completed."}, KeepAliveTime: 120}),
		"wv-056_SendMessage-Request.xml": req(tid, &SendMessageRequest{DeliveryReport: true,
			MessageInfo: MessageInfo{ContentType: "text/plain", ContentEncoding: "None", ContentSize: 58,
				Recipient: Recipient{Users: []User{{UserID: "wv:he@there.com"}}, Groups: []Group{{ScreenName: vicky}},
					ContactLists: []string{"wv:john/My_friends@smith.com"}},
				Sender:   Sender{User: &User{UserID: "wv:john@smith.com"}},
				DateTime: "20010925T1340Z", Validity: 600},
			ContentData: "Hurry up; they are ringing the bells in the WV already..."}),
		"wv-057_SendMessage-Response.xml": rsp(tid, &SendMessageResponse{Result: Result{Code: 200, Description: "Successfully completed."}, MessageID: "0x0000f132"}),
		"wv-064_MessageNotification.xml":  withPoll(req(tid, &MessageNotification{MessageInfo: info(189)})),
		"wv-066_GetMessage-Request.xml":   req(tid, &GetMessageRequest{MessageID: "0x0000f132"}),
		"wv-067_GetMessage-Response.xml":  rsp(tid, &GetMessageResponse{MessageInfo: info(41), ContentData: "Hi guys, just arrived... How is it going?"}),
		"wv-068_MessageDelivered.xml":     delivered,
		// ContentData keeps its surrounding white space byte for byte.
		"wv-070_NewMessage.xml": withPoll(req(tid, &NewMessage{MessageInfo: info(41),
			ContentData: "\n\t\t\t\t\t\tHi guys, just arrived... How is it going?\n\t\t\t\t\t"})),
		"wv-072_DeliveryReport-Request.xml": withPoll(req(tid, &DeliveryReportRequest{
			Result: Result{Code: 200, Description: "Successfully completed."}, DeliveryTime: "20010925T1341Z", MessageInfo: reportInfo})),
	}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			got := decodeSample(t, name)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("Decode:\n got %#v\nwant %#v", got, want)
			}
			assertRoundTrip(t, got)
		})
	}
}

// assertRoundTrip encodes m in both versions and checks each decodes to m
// (with the Version it was written in).
func assertRoundTrip(t *testing.T, m Message) {
	t.Helper()
	for _, v := range []Version{Version11, Version12} {
		b, err := Encode(m, v)
		if err != nil {
			t.Fatalf("Encode(%v): %v", v, err)
		}
		back, err := Decode(b)
		if err != nil {
			t.Fatalf("Decode(Encode(%v)): %v\n%s", v, err, b)
		}
		want := m
		want.Version = v
		if !reflect.DeepEqual(back, want) {
			t.Fatalf("round trip %v:\n got %#v\nwant %#v", v, back, want)
		}
	}
}

// TestSamplesUnknownPrimitives checks that every shared sample whose
// primitive is not modelled is refused with the transaction to answer and
// CSP status 405, and that the CSP 1.2 sample's version is recognised.
func TestSamplesUnknownPrimitives(t *testing.T) {
	skipWithoutSamples(t)
	cases := map[string][3]string{ // file: primitive, transaction id, session id
		"aosp-csp12_ClientCapability-Request.xml": {"ClientCapability-Request", "transId2", "196FE717.00000000.test1"},
		"wv-009_Service-Request.xml":              {"Service-Request", "IMApp01#12345@NOK5110", "im.user.com#48815@server.com"},
		"wv-040_PresenceNotification-Request.xml": {"PresenceNotification-Request", "IMApp01#12346@NOK5110", "im.user.com#48815@server.com"},
		"wv-047_GetPresence-Response.xml":         {"GetPresence-Response", "IMApp01#12345@NOK5110", "im.user.com#48815@server.com"},
		"wv-060_GetMessageList-Request.xml":       {"GetMessageList-Request", "IMApp01#12345@NOK5110", "im.user.com#48815@server.com"},
		"wv-080_GetList-Request.xml":              {"GetList-Request", "IMApp01#12345@NOK5110", "im.user.com#48815@server.com"},
	}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Decode(readSample(t, name))
			var u *UnknownPrimitiveError
			if !errors.As(err, &u) || !errors.Is(err, ErrUnknownPrimitive) {
				t.Fatalf("err = %v, want *UnknownPrimitiveError", err)
			}
			if u.Primitive != want[0] || u.Transaction.TransactionID != want[1] || u.Session.SessionID != want[2] {
				t.Errorf("got %+v, want %v", u, want)
			}
			wantVersion := Version11
			if name == "aosp-csp12_ClientCapability-Request.xml" {
				wantVersion = Version12
			}
			if u.Version != wantVersion {
				t.Errorf("version = %v, want %v", u.Version, wantVersion)
			}
			if r := ResultFor(err); r.Code != CodeServiceNotSupported {
				t.Errorf("ResultFor = %+v, want 405", r)
			}
		})
	}
}

// TestAllSamplesDecodeOrRefuseCleanly runs every XML sample through Decode:
// each either decodes and round-trips or is an unknown primitive.
func TestAllSamplesDecodeOrRefuseCleanly(t *testing.T) {
	skipWithoutSamples(t)
	files, err := filepath.Glob(filepath.Join(samplesDir, "*.xml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples: %v", err)
	}
	for _, f := range files {
		m, err := Decode(readSample(t, filepath.Base(f)))
		switch {
		case err == nil:
			assertRoundTrip(t, m)
		case !errors.Is(err, ErrUnknownPrimitive):
			t.Errorf("%s: %v", filepath.Base(f), err)
		}
	}
}
