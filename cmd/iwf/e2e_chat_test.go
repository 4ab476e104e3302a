package main

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/adapters/sip"
	"github.com/iwf-gateway/iwf/adapters/smpp"
	"github.com/iwf-gateway/iwf/cpm"
	"github.com/iwf-gateway/iwf/sim/smsc"
	"github.com/iwf-gateway/iwf/translate"
)

// chatClient is a CPM user's client in the test process: it opens chat
// sessions to iwf and keeps what iwf sends in them.
type chatClient struct {
	ep   *sip.Endpoint
	user string

	mu       sync.Mutex
	messages []cpm.Message
	reports  []cpm.Report
}

func newChatClient(t *testing.T, iwfPort int, user string) *chatClient {
	t.Helper()
	ep, err := sip.New(sip.Config{Listen: []string{"tcp:127.0.0.1:0"}, OutboundProxy: fmt.Sprintf("sip:127.0.0.1:%d;transport=tcp", iwfPort),
		TrustedPeers: []string{"127.0.0.0/8"}, MSRPListen: "127.0.0.1:0", TransactionTimeout: 5 * time.Second},
		slog.New(slog.DiscardHandler), func(context.Context, *sip.Request) error {
			return &sip.StatusError{Code: 405, Reason: "Method Not Allowed"}
		})
	if err != nil {
		t.Fatal(err)
	}
	if err := ep.EnableSessions(nil); err != nil {
		t.Fatal(err)
	}
	if err := ep.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ep.Close() })
	return &chatClient{ep: ep, user: user}
}

// open starts a chat with a legacy user.
func (c *chatClient) open(t *testing.T, to string) *sip.OutSession {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := c.ep.OpenSession(ctx, &sip.OutgoingSession{
		RequestURI: to, From: c.user, Kind: sip.KindChat,
		AcceptTypes: []string{"message/cpim"}, AcceptWrappedTypes: []string{"text/plain", "message/imdn+xml"},
		Handler: func(_ context.Context, m *sip.SessionMessage) error {
			msg, rep, isReport, err := translate.FromSIP(&sip.Request{RequestURI: c.user, ContentType: m.ContentType, Body: m.Body})
			if err != nil {
				return &sip.StatusError{Code: 415, Reason: err.Error()}
			}
			c.mu.Lock()
			defer c.mu.Unlock()
			if isReport {
				c.reports = append(c.reports, rep)
			} else {
				c.messages = append(c.messages, msg)
			}
			return nil
		},
	})
	if err != nil {
		t.Fatalf("chat INVITE to %s: %v", to, err)
	}
	return s
}

// say sends a text in the session, with a delivery notification asked.
func (c *chatClient) say(t *testing.T, s *sip.OutSession, id, to, text string) {
	t.Helper()
	m := cpm.Message{ID: id, From: cpm.Address(c.user), To: cpm.Address(to), DateTime: time.Now(), Notify: cpm.PositiveDelivery,
		Parts: []cpm.Part{{ContentType: "text/plain;charset=utf-8", Body: []byte(text)}}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Send(ctx, &sip.SessionMessage{MessageID: id, ContentType: "message/cpim", Body: m.CPIM().Marshal()}); err != nil {
		t.Fatalf("MSRP SEND %q: %v", text, err)
	}
}

// pagerTexts returns the texts of the MESSAGEs (not IMDNs) the CPM user
// agent took.
func pagerTexts(t *testing.T, ua *cpmUA) []string {
	t.Helper()
	var texts []string
	for _, r := range ua.pagerMessages() {
		m, _, isReport, err := translate.FromSIP(r)
		if err != nil {
			t.Fatalf("MESSAGE at the CPM side: %v", err)
		}
		if !isReport {
			text, _ := m.Text()
			texts = append(texts, text)
		}
	}
	return texts
}

func (c *chatClient) received() ([]cpm.Message, []cpm.Report) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]cpm.Message(nil), c.messages...), append([]cpm.Report(nil), c.reports...)
}

// moText is an MO SMS from an SMS user to a CPM user.
func moText(from, to, text string) smpp.ShortMessage {
	return smpp.ShortMessage{
		Source:  smpp.Address{Addr: from, TON: 1, NPI: 1},
		Dest:    smpp.Address{Addr: to, TON: 1, NPI: 1},
		Message: []byte(text),
	}
}

// TestE2EChatWithSMSUser: a CPM user chats with an SMS user through iwf.
// What the CPM user says in the session reaches the SMSC, the SMSC's
// receipt comes back as an IMDN in the session, the SMS user's replies
// come back in the session rather than as MESSAGEs; once the CPM user
// ends the session, or iwf is killed and restarted, replies go in pager
// mode. Nothing is lost on the way.
func TestE2EChatWithSMSUser(t *testing.T) {
	e := newE2E(t, e2eOptions{smsc: smsc.Config{KeepSubmitted: true}})
	ua := startCPMUA(t, e.uasPort)
	const cpmUser, smsUser = "sip:+447700900999@iwf.example.net;user=phone", "tel:+447700900123"
	client := newChatClient(t, e.sipPort, cpmUser)

	s := client.open(t, smsUser)
	client.say(t, s, "chat-1", smsUser, "Hi, it is me on CPM")
	client.say(t, s, "chat-2", smsUser, "Are you there?")
	e.eventually("both chat messages at the SMSC", 20*time.Second, func() bool {
		return e.seenCount("Hi, it is me on CPM") == 1 && e.seenCount("Are you there?") == 1
	})
	for _, sm := range e.smsc.Submitted() {
		if sm.Dest.Addr != "447700900123" || sm.Source.Addr != "447700900999" {
			t.Errorf("submit_sm from %s to %s; want 447700900999 to 447700900123", sm.Source.Addr, sm.Dest.Addr)
		}
	}
	e.eventually("two delivery IMDNs in the session", 20*time.Second, func() bool {
		_, reports := client.received()
		return len(reports) == 2
	})
	_, reports := client.received()
	for _, r := range reports {
		if r.Status != cpm.Delivered || (r.MessageID != "chat-1" && r.MessageID != "chat-2") {
			t.Errorf("IMDN in the session: %+v", r)
		}
	}

	// The SMS user answers: the reply comes in the session.
	if err := e.smsc.InjectMO(context.Background(), moText("447700900123", "447700900999", "Yes, here by SMS")); err != nil {
		t.Fatal(err)
	}
	e.eventually("the SMS reply in the session", 20*time.Second, func() bool {
		msgs, _ := client.received()
		return len(msgs) == 1
	})
	msgs, _ := client.received()
	if text, _ := msgs[0].Text(); text != "Yes, here by SMS" || !strings.Contains(string(msgs[0].From), "447700900123") {
		t.Errorf("in the session: from %s %q", msgs[0].From, text)
	}
	if n := len(pagerTexts(t, ua)); n != 0 {
		t.Errorf("%d MESSAGEs reached the CPM side while the chat lived; want 0", n)
	}

	// Another SMS user's message does not belong to this chat: pager mode.
	if err := e.smsc.InjectMO(context.Background(), moText("447700900124", "447700900999", "Someone else")); err != nil {
		t.Fatal(err)
	}
	e.eventually("the other user's SMS as a MESSAGE", 20*time.Second, func() bool { return len(pagerTexts(t, ua)) == 1 })

	// The CPM user ends the chat: the next reply goes in pager mode.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Fatalf("BYE: %v", err)
	}
	if err := e.smsc.InjectMO(context.Background(), moText("447700900123", "447700900999", "After the chat")); err != nil {
		t.Fatal(err)
	}
	e.eventually("the reply after BYE as a MESSAGE", 20*time.Second, func() bool { return len(pagerTexts(t, ua)) == 2 })

	// A new chat, then iwf is killed: the session ends at the client, and
	// after the restart replies go in pager mode.
	s2 := client.open(t, smsUser)
	client.say(t, s2, "chat-3", smsUser, "Before the crash")
	e.eventually("the message before the crash at the SMSC", 20*time.Second, func() bool { return e.seenCount("Before the crash") >= 1 })
	e.kill9()
	select {
	case <-s2.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("the chat session outlived iwf's MSRP connection")
	}
	e.start()
	if err := e.smsc.InjectMO(context.Background(), moText("447700900123", "447700900999", "After the restart")); err != nil {
		t.Fatal(err)
	}
	e.eventually("the reply after the restart as a MESSAGE", 30*time.Second, func() bool { return len(pagerTexts(t, ua)) == 3 })
	msgs, _ = client.received()
	if len(msgs) != 1 {
		t.Errorf("the client got %d messages in sessions; want only the one while the first chat lived", len(msgs))
	}
	if got, want := pagerTexts(t, ua), []string{"Someone else", "After the chat", "After the restart"}; !slices.Equal(got, want) {
		t.Errorf("pager-mode MESSAGEs %q; want %q", got, want)
	}
}
