package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/adapters/smpp"
	"github.com/iwf-gateway/iwf/sim/smsc"
	"github.com/iwf-gateway/iwf/translate"
)

// requireTool returns the path of an external peer the end-to-end tests
// need; it skips the test when the tool is missing, unless
// IWF_REQUIRE_TOOLS is set (as in CI), where a missing tool fails.
func requireTool(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("IWF_REQUIRE_TOOLS") != "" {
		t.Fatalf("%s not found (apt-get install -y %s)", name, pkg)
	}
	t.Skipf("%s not found; apt-get install -y %s to run this test", name, pkg)
	return ""
}

// freeTestPort returns a loopback port free for both UDP and TCP, for a
// server iwf starts later. It is drawn below the kernel's ephemeral range
// (32768-60999 by default on Linux): a port from that range, free now,
// can be taken before iwf binds it by any outgoing connection, and these
// tests open many (to the Kafka brokers, the SMSC, the SIP peers).
func freeTestPort(t *testing.T) int {
	t.Helper()
	for range 200 {
		port := 20000 + rand.IntN(12000)
		pc, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		pc.Close()
		if err == nil {
			ln.Close()
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}

// e2e is one end-to-end environment: the SMSC simulator in this process,
// iwf as a real process, and the ports of the SIPp peers.
type e2e struct {
	t       *testing.T
	dir     string
	smsc    *smsc.SMSC
	sipPort int // iwf's SIP port (UDP and TCP)
	uasPort int // the SIPp CPM user agent iwf sends to
	console int
	proc    *exec.Cmd
	exited  chan struct{}
	logs    *bytes.Buffer
	logMu   sync.Mutex

	mu   sync.Mutex
	seen map[string]int // SMSC-side text -> times submitted
}

type e2eOptions struct {
	smsc      smsc.Config
	window    int
	extra     string           // appended to the YAML
	smscExtra string           // more keys of the smpp entry, each "    key: value\n"
	before    func(*smsc.SMSC) // runs before iwf starts (faults from the first bind)
	rules     string           // addressmap rules before the catch-all SMS rule, each "    - {…}\n"
	// peer, when set, is another instance whose SMSC, submitted texts and
	// CPM user agent port this one shares (several iwf on one journal).
	peer *e2e
}

func newE2E(t *testing.T, o e2eOptions) *e2e {
	t.Helper()
	e := &e2e{t: t, dir: t.TempDir(), seen: map[string]int{}, logs: &bytes.Buffer{}}
	if o.peer != nil {
		e.smsc, e.uasPort = o.peer.smsc, o.peer.uasPort
	} else {
		o.smsc.SystemID, o.smsc.Password = "iwf", "secret"
		o.smsc.OnSubmit = func(sm smpp.ShortMessage, id string) {
			e.mu.Lock()
			e.seen[strings.TrimSpace(string(sm.Message))]++ // SIPp ends the body with CRLF
			e.mu.Unlock()
		}
		e.smsc = smsc.New(o.smsc, nil)
		if err := e.smsc.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.smsc.Close() })
		e.uasPort = freeTestPort(t)
	}
	e.sipPort, e.console = freeTestPort(t), freeTestPort(t)
	if o.window == 0 {
		o.window = 64
	}
	cfg := fmt.Sprintf(`data_dir: %s
log_level: info
sip:
  listen: ["udp:127.0.0.1:%d", "tcp:127.0.0.1:%d"]
  domain: iwf.example.net
  # IMS cores take MESSAGEs over TCP; IMDNs exceed the 1300-byte UDP limit.
  outbound_proxy: "sip:127.0.0.1:%d;transport=tcp"
  trusted_peers: ["127.0.0.0/8"]
  cpim: true
  msrp_listen: "127.0.0.1:0"
smpp:
  - name: smsc1
    address: %s
    system_id: iwf
    password: secret
    bind: transceiver
    window: %d
    reconnect_min: 100ms
    reconnect_max: 1s
    concatenation: udh8
%saddressmap:
  country_code: "44"
  rules:
%s    - {match: "+", network: sms, route: smsc1}
console:
  listen: 127.0.0.1:%d
gateway:
  retry: {initial: 200ms, max: 2s}
  cpm_workers: 8
%s`, filepath.Join(e.dir, "data"), e.sipPort, e.sipPort, e.uasPort, e.smsc.Addr(), o.window, o.smscExtra, o.rules, e.console, o.extra)
	if err := os.WriteFile(filepath.Join(e.dir, "iwf.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if o.before != nil {
		o.before(e.smsc)
	}
	e.start()
	t.Cleanup(e.stop)
	return e
}

// start runs iwf and waits until it answers /healthz.
func (e *e2e) start() {
	e.t.Helper()
	e.proc = exec.Command(iwfBinary, "serve", "--config", filepath.Join(e.dir, "iwf.yaml"))
	w := &lockedWriter{mu: &e.logMu, b: e.logs}
	e.proc.Stdout, e.proc.Stderr = w, w
	if err := e.proc.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.exited = make(chan struct{})
	go func(p *exec.Cmd, done chan struct{}) { _ = p.Wait(); close(done) }(e.proc, e.exited)
	e.waitHTTP("/healthz")
}

func (e *e2e) waitHTTP(path string) {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d%s", e.console, path))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-e.exited:
			e.t.Fatalf("iwf exited early:\n%s", e.logText())
		case <-time.After(50 * time.Millisecond):
		}
	}
	e.t.Fatalf("iwf not answering %s:\n%s", path, e.logText())
}

// stop sends SIGTERM and waits for a graceful exit.
func (e *e2e) stop() {
	if e.proc == nil {
		return
	}
	_ = e.proc.Process.Signal(syscall.SIGTERM)
	select {
	case <-e.exited:
	case <-time.After(20 * time.Second):
		_ = e.proc.Process.Kill()
		<-e.exited
		e.t.Errorf("iwf did not stop on SIGTERM:\n%s", e.logText())
	}
	if code := e.proc.ProcessState.ExitCode(); code != 0 {
		e.t.Errorf("iwf exit code %d:\n%s", code, e.logText())
	}
	e.proc = nil
}

// kill9 kills iwf without warning.
func (e *e2e) kill9() {
	_ = e.proc.Process.Kill()
	<-e.exited
	e.proc = nil
}

func (e *e2e) logText() string {
	e.logMu.Lock()
	defer e.logMu.Unlock()
	return e.logs.String()
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// submittedTexts decodes what the SMSC received, joined per concatenated
// message, with counts.
func (e *e2e) seenCount(text string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.seen[text]
}

func (e *e2e) eventually(what string, timeout time.Duration, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting for %s\niwf log:\n%s", what, tail(e.logText(), 60))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// runSIPp runs a SIPp UAC against iwf and returns the call numbers it saw
// accepted (202).
func (e *e2e) runUAC(scenario, injection string, calls, rate int, transport string) (accepted map[int]bool, out string, err error) {
	e.t.Helper()
	sipp := requireTool(e.t, "sipp", "sip-tester")
	dir := e.t.TempDir()
	inf := filepath.Join(dir, "calls.csv")
	if err := os.WriteFile(inf, []byte(injection), 0o600); err != nil {
		e.t.Fatal(err)
	}
	logFile := filepath.Join(dir, "accepted.log")
	args := []string{"-sf", scenarioPath(e.t, scenario), "-inf", inf, "-m", strconv.Itoa(calls),
		"-r", strconv.Itoa(rate), "-l", "200", "-t", transport, "-i", "127.0.0.1", "-p", strconv.Itoa(freeTestPort(e.t)),
		"-timeout", "60s", "-timeout_error", "-trace_logs", "-log_file", logFile, "-nostdin",
		fmt.Sprintf("127.0.0.1:%d", e.sipPort)}
	cmd := exec.Command(sipp, args...)
	cmd.Dir = dir
	b, err := cmd.CombinedOutput()
	accepted = map[int]bool{}
	if raw, rerr := os.ReadFile(logFile); rerr == nil {
		for _, m := range acceptedLine.FindAllStringSubmatch(string(raw), -1) {
			n, _ := strconv.Atoi(m[1])
			accepted[n] = true
		}
	}
	return accepted, string(b), err
}

var acceptedLine = regexp.MustCompile(`accepted (\d+)`)

// startUAS runs a SIPp CPM user agent that answers calls MESSAGEs with 200
// and records them; wait returns what it received.
func (e *e2e) startUAS(calls int) (wait func() string) {
	e.t.Helper()
	sipp := requireTool(e.t, "sipp", "sip-tester")
	dir := e.t.TempDir()
	msgFile := filepath.Join(dir, "messages.log")
	cmd := exec.Command(sipp, "-sf", scenarioPath(e.t, "cpm_uas.xml"), "-m", strconv.Itoa(calls),
		"-t", "t1", "-i", "127.0.0.1", "-p", strconv.Itoa(e.uasPort), "-timeout", "60s",
		"-trace_msg", "-message_file", msgFile, "-nostdin")
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	e.t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
	time.Sleep(300 * time.Millisecond) // let it bind its port
	return func() string {
		e.t.Helper()
		select {
		case err := <-done:
			done <- err
			if err != nil {
				e.t.Errorf("SIPp UAS: %v\n%s", err, out.String())
			}
		case <-time.After(60 * time.Second):
			e.t.Fatalf("SIPp UAS did not receive %d MESSAGEs\niwf log:\n%s", calls, tail(e.logText(), 60))
		}
		raw, _ := os.ReadFile(msgFile)
		return string(raw)
	}
}

func scenarioPath(t *testing.T, name string) string {
	p, err := filepath.Abs(filepath.Join("..", "..", "testdata", "sipp", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// decodeSubmitted joins the texts of everything the SMSC received.
func decodeText(t *testing.T, sm smpp.ShortMessage) translate.Segment {
	t.Helper()
	seg, err := translate.DecodeSMS(&sm)
	if err != nil {
		t.Fatalf("SMSC got an undecodable submit: %v", err)
	}
	return seg
}
