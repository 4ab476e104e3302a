package sip

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/adapters/sip/mediasession"
	"github.com/iwf-gateway/iwf/adapters/sip/msrp"
)

// sippLargeMessage is the SIPp scenario of a CPM client sending a large
// message: INVITE with an MSRP offer, ACK, and the BYE iwf sends after
// the message.
const sippLargeMessage = "uac_invite_largemsg.xml"

// TestSIPpLargeMessageSession runs SIPp as the CPM client's SIP side and
// an MSRP endpoint of the test as its MSRP side: SIPp's INVITE offers the
// test's MSRP path, the test reads iwf's path from the 200 SIPp logged,
// connects and sends the message in chunks; iwf's handler gets it once,
// and iwf ends the session with BYE, which SIPp answers.
func TestSIPpLargeMessageSession(t *testing.T) {
	sipp := needSIPp(t)
	for _, transport := range []string{"u1", "t1"} {
		t.Run(transport, func(t *testing.T) {
			leaks(t)
			acc := newAcceptor()
			cfg := sessionConfig()
			cfg.LargeMessageGrace = 50 * time.Millisecond
			e := startSessions(t, cfg, acc.handle)
			client := startMSRPClient(t)
			local, err := client.NewSession(mediasession.SessionOptions{})
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			copyScenario(t, dir, sippLargeMessage)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			network := map[string]string{"u1": "udp", "t1": "tcp"}[transport]
			cmd := exec.CommandContext(ctx, sipp, "-sf", sippLargeMessage, "-m", "1", "-t", transport,
				"-i", "127.0.0.1", "-p", strconv.Itoa(freePort(t)), "-key", "msrp_path", local.LocalURI().String(),
				"-key", "msrp_port", strconv.Itoa(local.LocalURI().Port), "-timeout", "20s", "-trace_logs",
				"-trace_err", "-nostdin", addrOf(t, e, network))
			cmd.Dir = dir
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			waited := make(chan error, 2)
			go func() { err := cmd.Wait(); waited <- err; waited <- err }()
			t.Cleanup(func() {
				cancel() // kills SIPp if the test failed before it ended
				<-waited
			})
			iwfPath, se := waitSIPpLog(t, dir)
			in := acc.nextSession(t)
			if in.Kind != KindLargeMessage || in.ConversationID != "sipp-conv-1" || in.ContributionID != "sipp-contrib-1" ||
				in.PAssertedIdentity != "sip:+4915112345678@127.0.0.1;user=phone" || se != "1800;refresher=uac" {
				t.Errorf("session %+v, Session-Expires %q", in, se)
			}
			path, err := msrp.ParsePath(iwfPath)
			if err != nil {
				t.Fatal(err)
			}
			if err := local.Connect(ctx, path); err != nil {
				t.Fatal(err)
			}
			body := pattern(12345)
			if err := local.Send(ctx, mediasession.Message{ContentType: "message/cpim", Body: body, SuccessReport: true}); err != nil {
				t.Fatalf("MSRP Send: %v", err)
			}
			if m := acc.nextMessage(t); !bytes.Equal(m.Body, body) {
				t.Fatalf("handler got %d bytes", len(m.Body))
			}
			if err := <-waited; err != nil {
				t.Fatalf("sipp: %v\n%s\n%s", err, lastLines(out.String(), 30), readLogs(dir, "_errors.log"))
			}
			if err := waitDone(t, in.Done(), in.Err); !errors.Is(err, ErrSessionEnded) {
				t.Fatalf("session ended with %v", err)
			}
		})
	}
}

func copyScenario(t *testing.T, dir, name string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "sipp", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

var sippPathLog = regexp.MustCompile(`iwf-answer a=path:\S+ session-expires=(\S+) contact-tag=urn\S+ path=(\S+)`)

// waitSIPpLog waits for SIPp to log the a=path and Session-Expires of
// iwf's 200; it polls the log file, bounded by ioBound.
func waitSIPpLog(t *testing.T, dir string) (path, sessionExpires string) {
	t.Helper()
	deadline := time.Now().Add(ioBound)
	for time.Now().Before(deadline) {
		if m := sippPathLog.FindStringSubmatch(readLogs(dir, "_logs.log")); m != nil {
			return m[2], m[1]
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("SIPp logged no 200 with a=path:\n%s\n%s", readLogs(dir, "_logs.log"), readLogs(dir, "_errors.log"))
	return "", ""
}
