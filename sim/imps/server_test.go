package imps

import (
	"context"
	"encoding/base64"
	"errors"
	"slices"
	"testing"
	"time"

	client "github.com/iwf-gateway/iwf/adapters/imps"
	"github.com/iwf-gateway/iwf/adapters/imps/wv"
	"github.com/iwf-gateway/iwf/internal/leakcheck"
)

const (
	gatewayUser = "iwf"
	gatewayPass = "iwf-secret"
	alice       = "wv:alice@cpm.example.net"
	bob         = "wv:bob@imps.example.net"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// session is the gateway's real IMPS client logged in to the sandbox
// server; every NewMessage it is given arrives on got.
type session struct {
	srv    *Server
	client *client.Client
	got    chan *wv.NewMessage
}

func newSession(t *testing.T, cfg Config, auth string) *session {
	t.Helper()
	cfg.Accounts = map[string]string{gatewayUser: gatewayPass}
	srv, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	s := &session{srv: srv, got: make(chan *wv.NewMessage, 16)}
	s.client, err = client.New(client.Config{ServerURL: srv.URL(), User: gatewayUser, Password: gatewayPass, Auth: auth,
		PollInterval: 10 * time.Millisecond}, nil, func(_ context.Context, m *wv.NewMessage) error {
		s.got <- m
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.client.Run(context.Background()) }()
	t.Cleanup(func() {
		s.client.Close()
		<-done
	})
	if err := s.client.WaitReady(ctxT(t)); err != nil {
		t.Fatalf("no session: %v", err)
	}
	return s
}

func (s *session) next(t *testing.T) *wv.NewMessage {
	t.Helper()
	select {
	case m := <-s.got:
		return m
	case <-ctxT(t).Done():
		t.Fatal("no NewMessage reached the gateway")
		return nil
	}
}

func sendMessage(text string, to ...string) *wv.SendMessageRequest {
	req := &wv.SendMessageRequest{ContentData: text, MessageInfo: wv.MessageInfo{
		ContentType: "text/plain", ContentSize: uint32(len(text)),
		Sender: wv.Sender{User: &wv.User{UserID: alice}}}}
	for _, u := range to {
		req.MessageInfo.Recipient.Users = append(req.MessageInfo.Recipient.Users, wv.User{UserID: u})
	}
	return req
}

func TestEchoReachesGatewayAndIsAcknowledged(t *testing.T) {
	for _, auth := range []string{client.AuthPassword, client.AuthDigest} {
		t.Run(auth, func(t *testing.T) {
			leakcheck.Check(t)
			s := newSession(t, Config{Echo: true, EchoDelay: time.Millisecond}, auth)
			id, err := s.client.SendMessage(ctxT(t), sendMessage("héllo ☃", bob))
			if err != nil || id == "" {
				t.Fatalf("send: %q, %v", id, err)
			}
			m := s.next(t)
			info := m.MessageInfo
			if m.ContentData != "echo: héllo ☃" || info.ContentEncoding != "None" || info.ContentSize != uint32(len(m.ContentData)) {
				t.Errorf("echo content %q (%s, %d bytes)", m.ContentData, info.ContentEncoding, info.ContentSize)
			}
			if info.Sender.User == nil || info.Sender.User.UserID != bob {
				t.Errorf("echo sender %+v, want %s", info.Sender, bob)
			}
			if len(info.Recipient.Users) != 1 || info.Recipient.Users[0].UserID != alice {
				t.Errorf("echo recipient %+v, want %s", info.Recipient, alice)
			}
			ctx := ctxT(t)
			for !slices.Contains(s.srv.Delivered(), info.MessageID) {
				select {
				case <-ctx.Done():
					t.Fatalf("echo %s never acknowledged; delivered %v", info.MessageID, s.srv.Delivered())
				case <-time.After(5 * time.Millisecond):
				}
			}
			if n := s.srv.Pending(gatewayUser); n != 0 {
				t.Errorf("%d items still pending", n)
			}
			if sent := s.srv.Sent(); len(sent) != 1 || sent[0].MessageID != id {
				t.Errorf("sent %+v", sent)
			}
		})
	}
}

func TestRefusedSendIsNotEchoed(t *testing.T) {
	leakcheck.Check(t)
	s := newSession(t, Config{Echo: true, EchoDelay: time.Millisecond}, client.AuthPassword)
	s.srv.FailNext("SendMessage-Request", wv.CodeUnknownUser, 1)
	_, err := s.client.SendMessage(ctxT(t), sendMessage("lost", bob))
	var se *wv.StatusError
	if !errors.As(err, &se) || se.Code != wv.CodeUnknownUser {
		t.Fatalf("send under fault: %v, want 531", err)
	}
	// The refused request scheduled nothing: the next message the
	// gateway receives is the echo of the accepted one.
	if _, err := s.client.SendMessage(ctxT(t), sendMessage("kept", bob)); err != nil {
		t.Fatal(err)
	}
	if m := s.next(t); m.ContentData != "echo: kept" {
		t.Errorf("first NewMessage %q, want the echo of the accepted send", m.ContentData)
	}
}

func TestCloseCancelsPendingEcho(t *testing.T) {
	leakcheck.Check(t)
	s := newSession(t, Config{Echo: true, EchoDelay: time.Hour}, client.AuthPassword)
	if _, err := s.client.SendMessage(ctxT(t), sendMessage("hi", bob)); err != nil {
		t.Fatal(err)
	}
	s.client.Close()
	if err := s.srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.srv.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestEchoesOf(t *testing.T) {
	gif := []byte("GIF89a\x00\x01\xff")
	b64 := func(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
	group := sendMessage("to all", bob, "wv:carol@imps.example.net")
	group.MessageInfo.Recipient.Groups = []wv.Group{{GroupID: "wv:chat@imps.example.net"}}
	noSender := sendMessage("who?", bob)
	noSender.MessageInfo.Sender = wv.Sender{}
	encodedText := sendMessage(b64([]byte("Grüße")), bob)
	encodedText.MessageInfo.ContentEncoding = "BASE64"
	control := sendMessage(b64([]byte("bell\a")), bob)
	control.MessageInfo.ContentEncoding = "BASE64"
	image := sendMessage(b64(gif), bob)
	image.MessageInfo.ContentType, image.MessageInfo.ContentEncoding = "image/gif", "BASE64"
	broken := sendMessage("%%%", bob)
	broken.MessageInfo.ContentEncoding = "BASE64"

	cases := []struct {
		name     string
		req      *wv.SendMessageRequest
		from     []string
		to, data string
		encoding string
		size     int
	}{
		{"each user answers, groups do not", group, []string{bob, "wv:carol@imps.example.net"}, alice, "echo: to all", "None", 12},
		{"no sender user: back to the account", noSender, []string{bob}, gatewayUser, "echo: who?", "None", 10},
		{"base64 text comes back as text", encodedText, []string{bob}, alice, "echo: Grüße", "None", 13},
		{"text XML cannot carry stays base64", control, []string{bob}, alice, b64([]byte("bell\a")), "BASE64", 5},
		{"binary comes back unchanged", image, []string{bob}, alice, b64(gif), "BASE64", len(gif)},
	}
	for _, tc := range cases {
		got, err := echoesOf(gatewayUser, tc.req)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		var from []string
		for _, m := range got {
			from = append(from, m.MessageInfo.Sender.User.UserID)
			info := m.MessageInfo
			if info.Recipient.Users[0].UserID != tc.to || m.ContentData != tc.data || info.ContentEncoding != tc.encoding ||
				int(info.ContentSize) != tc.size {
				t.Errorf("%s: echo to %s %q (%s, %d bytes), want to %s %q (%s, %d bytes)", tc.name, info.Recipient.Users[0].UserID,
					m.ContentData, info.ContentEncoding, info.ContentSize, tc.to, tc.data, tc.encoding, tc.size)
			}
		}
		if !slices.Equal(from, tc.from) {
			t.Errorf("%s: echoes from %v, want %v", tc.name, from, tc.from)
		}
	}
	if _, err := echoesOf(gatewayUser, broken); err == nil {
		t.Error("content that is not base64 was echoed")
	}
}

func TestWrongPasswordRefused(t *testing.T) {
	leakcheck.Check(t)
	srv, err := New(Config{Accounts: map[string]string{gatewayUser: gatewayPass}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c, err := client.New(client.Config{ServerURL: srv.URL(), User: gatewayUser, Password: "guess",
		ReloginMin: time.Hour, ReloginMax: time.Hour}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Run(context.Background()) }()
	ctx := ctxT(t)
	for srv.Stats().FailedLogins == 0 {
		select {
		case <-ctx.Done():
			t.Fatal("no login attempt")
		case <-time.After(5 * time.Millisecond):
		}
	}
	if c.Ready() || srv.Stats().Logins != 0 {
		t.Errorf("a wrong password logged in: %+v", srv.Stats())
	}
	c.Close()
	<-done
}

func TestConfigValidate(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no account":     {},
		"empty user":     {Accounts: map[string]string{"": "x"}},
		"negative delay": {Accounts: map[string]string{"u": "p"}, EchoDelay: -time.Second},
	} {
		if _, err := New(cfg, nil); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
