package sip

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// needSIPp skips when sipp is not installed, unless IWF_REQUIRE_TOOLS=1.
func needSIPp(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("sipp")
	if err != nil {
		if os.Getenv("IWF_REQUIRE_TOOLS") == "1" {
			t.Fatal("sipp not on PATH and IWF_REQUIRE_TOOLS=1 (apt-get install sip-tester)")
		}
		t.Skip("sipp not on PATH (apt-get install sip-tester); set IWF_REQUIRE_TOOLS=1 to fail instead")
	}
	return path
}

// sippDir copies the scenarios to a temporary directory, where SIPp
// writes its logs.
func sippDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{SIPpUACMessage, SIPpUASMessage} {
		b, err := os.ReadFile(filepath.Join("testdata", "sipp", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// freePort returns a port free for both UDP and TCP on 127.0.0.1 at the
// time of the call.
func freePort(t *testing.T) int {
	t.Helper()
	ln, pc := listenPair(t)
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	pc.Close()
	return port
}

func TestSIPpUACToEndpoint(t *testing.T) {
	sipp := needSIPp(t)
	for _, transport := range []string{"u1", "t1"} {
		t.Run(transport, func(t *testing.T) {
			rc := &recorder{}
			e := startEndpoint(t, Config{}, rc.handle)
			network := map[string]string{"u1": "udp", "t1": "tcp"}[transport]
			const calls = 20
			dir := sippDir(t)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, sipp, "-sf", SIPpUACMessage, "-m", strconv.Itoa(calls), "-l", "5",
				"-t", transport, "-i", "127.0.0.1", "-p", strconv.Itoa(freePort(t)),
				"-timeout", "20s", "-trace_err", "-nostdin", addrOf(t, e, network))
			cmd.Dir = dir
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Run(); err != nil {
				t.Fatalf("sipp: %v\n%s\n%s", err, lastLines(out.String(), 30), readLogs(dir, "_errors.log"))
			}
			got := rc.requests()
			if len(got) != calls {
				t.Fatalf("handler saw %d MESSAGEs, want %d", len(got), calls)
			}
			for _, r := range got {
				if !strings.HasPrefix(string(r.Body), "SIPp message ") || r.PAssertedIdentity != "sip:+4915112345678@127.0.0.1;user=phone" ||
					!strings.HasPrefix(r.ConversationID, "sipp-conv-") {
					t.Fatalf("handler saw %+v", r)
				}
			}
			if st := e.Status(); st[map[string]int{"udp": 0, "tcp": 1}[network]].Requests != calls {
				t.Errorf("Status() = %+v", st)
			}
		})
	}
}

func TestEndpointSendToSIPpUAS(t *testing.T) {
	sipp := needSIPp(t)
	for _, tc := range []struct {
		transport string
		body      string
	}{{"u1", "short"}, {"t1", strings.Repeat("L", 1500)}} {
		t.Run(tc.transport, func(t *testing.T) {
			const calls = 5
			dir := sippDir(t)
			port := freePort(t)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, sipp, "-sf", SIPpUASMessage, "-m", strconv.Itoa(calls),
				"-t", tc.transport, "-i", "127.0.0.1", "-p", strconv.Itoa(port),
				"-timeout", "20s", "-trace_err", "-trace_logs", "-nostdin")
			cmd.Dir = dir
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			e := startEndpoint(t, Config{OutboundProxy: fmt.Sprintf("sip:127.0.0.1:%d", port), TransactionTimeout: 5 * time.Second}, (&recorder{}).handle)
			for i := range calls {
				if err := sendUntilUp(t, e, tc.body); err != nil {
					cmd.Process.Kill()
					cmd.Wait()
					t.Fatalf("Send %d: %v\n%s", i, err, lastLines(out.String(), 30))
				}
			}
			if err := cmd.Wait(); err != nil {
				t.Fatalf("sipp: %v\n%s\n%s", err, lastLines(out.String(), 30), readLogs(dir, "_errors.log"))
			}
			logs := readLogs(dir, "_logs.log")
			want := "MESSAGE pai= <tel:+4917698765432> accept-contact=urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg content-type=message/cpim\n"
			if n := strings.Count(logs, want); n != calls {
				t.Fatalf("sipp logged %d matching MESSAGEs, want %d:\n%s", n, calls, logs)
			}
		})
	}
}

// sendUntilUp retries while the SIPp UAS is still starting (TCP connection
// refused); a bounded number of attempts, not a timing assertion.
func sendUntilUp(t *testing.T, e *Endpoint, body string) error {
	var err error
	for range 100 {
		err = e.Send(sendCtx(t), outgoing(body))
		var te *TransactionError
		if !errors.As(err, &te) || errors.Is(err, ErrTimeout) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
	return err
}

func readLogs(dir, suffix string) string {
	var b strings.Builder
	files, _ := filepath.Glob(filepath.Join(dir, "*"+suffix))
	for _, f := range files {
		data, _ := os.ReadFile(f)
		b.Write(data)
	}
	return b.String()
}

func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
