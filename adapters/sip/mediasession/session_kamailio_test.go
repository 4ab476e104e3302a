package mediasession

import (
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"text/template"
	"time"

	"github.com/iwf-gateway/iwf/adapters/sip/msrp"
)

// Interop with Kamailio's msrp module (Debian package kamailio), run as
// an MSRP relay on loopback from testdata/kamailio/msrp-relay.cfg.

// needKamailio returns the kamailio binary, or skips the test unless
// IWF_REQUIRE_TOOLS=1.
func needKamailio(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("kamailio")
	if err != nil {
		if _, statErr := os.Stat("/usr/sbin/kamailio"); statErr == nil {
			return "/usr/sbin/kamailio"
		}
		if os.Getenv("IWF_REQUIRE_TOOLS") == "1" {
			t.Fatal("kamailio not installed and IWF_REQUIRE_TOOLS=1 (apt-get install kamailio)")
		}
		t.Skip("kamailio not installed (apt-get install kamailio); set IWF_REQUIRE_TOOLS=1 to fail instead")
	}
	return path
}

// kamailio is a running relay.
type kamailio struct {
	port int
	cmd  *exec.Cmd
	out  *lockedBuffer
}

// uri is the relay's MSRP URI with a session-id of its own.
func (k *kamailio) uri(t testing.TB) msrp.URI {
	return mustURI(t, "msrp://127.0.0.1:"+strconv.Itoa(k.port)+"/relaysess1;tcp")
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startKamailio renders the config with a free port into a temporary
// directory, starts kamailio in the foreground and waits until it
// accepts TCP. It is stopped by PID when the test ends.
func startKamailio(t *testing.T) *kamailio {
	bin := needKamailio(t)
	dir := t.TempDir()
	tmpl, err := template.ParseFiles(filepath.Join("testdata", "kamailio", "msrp-relay.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	k := &kamailio{port: freeTCPPort(t), out: &lockedBuffer{}}
	cfgPath := filepath.Join(dir, "kamailio.cfg")
	f, err := os.Create(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := tmpl.Execute(f, struct{ Port int }{k.port}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	k.cmd = exec.Command(bin, "-f", cfgPath, "-DD", "-E", "-m", "32", "-M", "8", "-Y", dir, "-w", dir)
	k.cmd.Stdout, k.cmd.Stderr = k.out, k.out
	// Its own process group, so that its children can be ended with it.
	k.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := k.cmd.Start(); err != nil {
		t.Fatalf("start kamailio: %v", err)
	}
	exited := make(chan struct{})
	go func() { k.cmd.Wait(); close(exited) }()
	t.Cleanup(func() { k.stop(t, exited) })
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(k.port))
	deadline := time.Now().Add(ioWait)
	for {
		nc, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			nc.Close()
			return k
		}
		select {
		case <-exited:
			t.Fatalf("kamailio exited: %v\n%s", k.cmd.ProcessState, k.out)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("kamailio not listening on %s: %v\n%s", addr, err, k.out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop ends kamailio: SIGTERM to its main process, which stops its
// children; SIGKILL to its process group if it lingers.
func (k *kamailio) stop(t *testing.T, exited <-chan struct{}) {
	pid := k.cmd.Process.Pid
	syscall.Kill(pid, syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		syscall.Kill(-pid, syscall.SIGKILL)
		<-exited
	}
	if t.Failed() || os.Getenv("IWF_TEST_LOG") == "1" {
		t.Logf("kamailio output:\n%s", k.out)
	}
}

func freeTCPPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Kamailio as the only hop answers the binding SEND and every chunk 200:
// a message in one SEND and one in 2048-byte chunks.
func TestKamailioAnswersSend(t *testing.T) {
	k := startKamailio(t)
	ctx := leaks(t)
	// Kamailio's msrp module takes at most 10240 body bytes per frame.
	e := startEndpoint(t, EndpointConfig{ChunkSize: 10240})
	s, err := e.NewSession(SessionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Connect(ctx, []msrp.URI{k.uri(t)}); err != nil {
		t.Fatalf("Connect to kamailio: %v", err)
	}
	whole := pattern(8000)
	if err := s.Send(ctx, Message{ContentType: "text/plain", Body: whole}); err != nil {
		t.Fatalf("whole message: %v", err)
	}
	chunked := startEndpoint(t, EndpointConfig{ChunkSize: 2048})
	s2, err := chunked.NewSession(SessionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Connect(ctx, []msrp.URI{k.uri(t)}); err != nil {
		t.Fatal(err)
	}
	if err := s2.Send(ctx, Message{ContentType: "application/octet-stream", Body: pattern(64_000)}); err != nil {
		t.Fatalf("chunked message: %v", err)
	}
	if err := s2.Send(ctx, Message{ContentType: "text/plain", Body: []byte("no answer wanted"), FailureReport: "no"}); err != nil {
		t.Fatal(err)
	}
}

// Through Kamailio as a relay between two Endpoints: the relay answers
// each hop 200, forwards the chunks to iwf's listener with its URI added
// to From-Path, and forwards iwf's success REPORT back.
func TestKamailioRelaysBetweenEndpoints(t *testing.T) {
	k := startKamailio(t)
	ctx := leaks(t)
	iwf := startEndpoint(t, EndpointConfig{})
	peer := startEndpoint(t, EndpointConfig{ChunkSize: 2048})
	rec := newRecorder()
	sb, err := peer.NewSession(SessionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// iwf expects the path the relay presents: itself, then the peer.
	sa, err := iwf.NewSession(SessionOptions{Handler: rec.handle, PeerPath: []msrp.URI{k.uri(t), sb.LocalURI()}})
	if err != nil {
		t.Fatal(err)
	}
	if err := sb.Connect(ctx, []msrp.URI{k.uri(t), sa.LocalURI()}); err != nil {
		t.Fatalf("Connect through kamailio: %v", err)
	}
	for _, size := range []int{8000, 100_000} {
		body := pattern(size)
		err := sb.Send(ctx, Message{ContentType: "application/octet-stream", Body: body, SuccessReport: true})
		if err != nil {
			t.Fatalf("%d bytes through kamailio: %v", size, err)
		}
		m := rec.next(t)
		if !bytes.Equal(m.Body, body) {
			t.Fatalf("%d bytes: received %d bytes that differ", size, len(m.Body))
		}
		if !pathEqual(m.FromPath, []msrp.URI{k.uri(t), sb.LocalURI()}) {
			t.Fatalf("From-Path %v", m.FromPath)
		}
	}
	// A refusal from iwf reaches the sender only as far as the relay:
	// Kamailio answered its hop 200 already, so without a report the
	// peer sees success. Ask for the success report to see the failure
	// as a missing report.
	rec.mu.Lock()
	rec.err = msrp.StatusMediaNotUnderstood
	rec.mu.Unlock()
	short := startEndpoint(t, EndpointConfig{ReportTimeout: 200 * time.Millisecond})
	sc, _ := short.NewSession(SessionOptions{})
	sa2, err := iwf.NewSession(SessionOptions{Handler: rec.handle})
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.Connect(ctx, []msrp.URI{k.uri(t), sa2.LocalURI()}); err != nil {
		t.Fatal(err)
	}
	err = sc.Send(ctx, Message{ContentType: "text/x", Body: []byte("refused"), SuccessReport: true})
	var se *SendError
	if !errors.As(err, &se) || se.Code != msrp.StatusTimeout || !se.Report {
		t.Fatalf("refused behind the relay: %v", err)
	}
	rec.next(t)
}
