package gateway

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/adapters/sip"
	"github.com/iwf-gateway/iwf/addressmap"
	"github.com/iwf-gateway/iwf/journal"
	"github.com/iwf-gateway/iwf/journal/local"
	"github.com/iwf-gateway/iwf/translate"
)

// gatedJournal holds every Put until the gate opens.
type gatedJournal struct {
	journal.Journal
	gate    chan struct{}
	waiting chan struct{}
}

func (j *gatedJournal) Put(ctx context.Context, es []journal.Entry) error {
	j.waiting <- struct{}{}
	<-j.gate
	return j.Journal.Put(ctx, es)
}

func textRequest(n int) *sip.Request {
	return &sip.Request{CallID: fmt.Sprintf("call-%d", n), CSeq: 1, RequestURI: smsUser,
		From: "sip:+447700900999@ims.example.net;user=phone", To: smsUser,
		ContentType: "text/plain;charset=UTF-8", Body: []byte("burst")}
}

// TestOverloadAnswers503: past MaxAccepting MESSAGEs waiting on the
// journal, new ones are refused at once with 503 and Retry-After.
func TestOverloadAnswers503(t *testing.T) {
	lj, err := local.Open(local.Config{Path: filepath.Join(t.TempDir(), "j.db"), NoSync: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer lj.Close()
	gj := &gatedJournal{Journal: lj, gate: make(chan struct{}), waiting: make(chan struct{}, 8)}
	am, _ := addressmap.New(addressmap.Config{CountryCode: "44", Rules: []addressmap.Rule{{Match: "+44", Network: NetworkSMS, Route: "smsc1"}}})
	g, err := New(Config{MaxAccepting: 2}, Deps{Journal: gj, Addresses: am, CPM: &fakeCPM{},
		CPMOut: translate.SIPOutboundConfig{Domain: "iwf.example.net"},
		SMS:    []SMSRoute{{Name: "smsc1", Link: &fakeSMSC{down: true}, Workers: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	results := make(chan error, 2)
	for i := range 2 {
		go func() { results <- g.HandleSIP(context.Background(), textRequest(i)) }()
	}
	<-gj.waiting
	<-gj.waiting
	err = g.HandleSIP(context.Background(), textRequest(3))
	se, ok := err.(*sip.StatusError)
	if !ok || se.Code != 503 || se.RetryAfter() != time.Second {
		t.Fatalf("third MESSAGE while two wait on the journal: %v, want 503 with Retry-After", err)
	}
	close(gj.gate)
	for range 2 {
		if err := <-results; err != nil {
			t.Errorf("waiting MESSAGE: %v", err)
		}
	}
	if g.Stats().Overloaded != 1 || g.Stats().AcceptedCPM != 2 {
		t.Errorf("stats %+v", g.Stats())
	}
}
