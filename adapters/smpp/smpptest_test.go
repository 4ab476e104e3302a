package smpp_test

import (
	"context"
	"errors"
	"testing"
	"time"

	gopdu "github.com/fiorix/go-smpp/smpp/pdu"
	"github.com/fiorix/go-smpp/smpp/pdu/pdufield"
	"github.com/fiorix/go-smpp/smpp/smpptest"

	"github.com/iwf-gateway/iwf/adapters/smpp"
)

// TestAgainstGoSMPPServer binds to go-smpp's independent smpptest server
// (its own codec) and checks a permanent error status and a success.
func TestAgainstGoSMPPServer(t *testing.T) {
	srv := smpptest.NewUnstartedServer()
	srv.Handler = func(c smpptest.Conn, m gopdu.Body) {
		if m.Header().ID != gopdu.SubmitSMID {
			return
		}
		resp := gopdu.NewSubmitSMResp()
		resp.Header().Seq = m.Header().Seq
		dst := m.Fields()[pdufield.DestinationAddr].String()
		if dst == "000" {
			resp.Header().Status = 0x0B // ESME_RINVDSTADR
		}
		resp.Fields().Set(pdufield.MessageID, "go-"+dst)
		c.Write(resp)
	}
	srv.Start()
	defer srv.Close()

	c, err := smpp.NewClient(smpp.Config{Address: srv.Addr(), SystemID: smpptest.DefaultUser,
		Password: smpptest.DefaultPasswd, ReconnectMin: 10 * time.Millisecond, ReconnectMax: 50 * time.Millisecond}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Run(context.Background()) }()
	defer func() { c.Close(); <-done }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	id, err := c.Submit(ctx, msg("ok"))
	if err != nil || id != "go-447700900123" {
		t.Fatalf("Submit = %q, %v", id, err)
	}
	bad := msg("bad")
	bad.Dest.Addr = "000"
	_, err = c.Submit(ctx, bad)
	var se *smpp.StatusError
	if !errors.As(err, &se) || se.Status != 0x0B || smpp.IsTemporary(err) ||
		err.Error() != "smpp: submit_sm: ESME_RINVDSTADR (0x0000000b)" {
		t.Fatalf("Submit to invalid address = %v", err)
	}
}
