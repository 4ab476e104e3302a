package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/adapters/mms/mm7"
	"github.com/iwf-gateway/iwf/adapters/sip"
	"github.com/iwf-gateway/iwf/translate"
)

// cpmUA is a CPM user agent in the test process, standing where the SIP
// core would, that takes MESSAGEs and MSRP sessions from iwf.
type cpmUA struct {
	mu       sync.Mutex
	messages []*sip.Request
	large    []*sip.SessionMessage
}

func startCPMUA(t *testing.T, port int) *cpmUA {
	t.Helper()
	ua := &cpmUA{}
	ep, err := sip.New(sip.Config{Listen: []string{fmt.Sprintf("tcp:127.0.0.1:%d", port)}, Domain: "cpm.example.net",
		TrustedPeers: []string{"127.0.0.0/8"}, MSRPListen: "127.0.0.1:0"}, slog.New(slog.DiscardHandler),
		func(_ context.Context, r *sip.Request) error {
			ua.mu.Lock()
			ua.messages = append(ua.messages, r)
			ua.mu.Unlock()
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if err := ep.EnableSessions(func(context.Context, *sip.IncomingSession) (sip.MessageHandler, error) {
		return func(_ context.Context, m *sip.SessionMessage) error {
			ua.mu.Lock()
			ua.large = append(ua.large, m)
			ua.mu.Unlock()
			return nil
		}, nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := ep.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ep.Close() })
	return ua
}

// pagerMessages returns the MESSAGEs the user agent took.
func (ua *cpmUA) pagerMessages() []*sip.Request {
	ua.mu.Lock()
	defer ua.mu.Unlock()
	return append([]*sip.Request(nil), ua.messages...)
}

func (ua *cpmUA) largeMessages() []*sip.SessionMessage {
	ua.mu.Lock()
	defer ua.mu.Unlock()
	return append([]*sip.SessionMessage(nil), ua.large...)
}

// TestE2ELargeMessageMode: a file from a CPM user goes out as MMS, a text
// too large for pager mode as concatenated SMS, both sent over MSRP with
// `iwf send file`; an MMS with a 300 KB video reaches the CPM user in a
// large-message session.
func TestE2ELargeMessageMode(t *testing.T) {
	e, relay := mmsE2E(t)
	ua := startCPMUA(t, e.uasPort)
	dir := t.TempDir()
	iwfAddr := fmt.Sprintf("127.0.0.1:%d", e.sipPort)

	// A file to an MMS user.
	jpeg := append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, bytes.Repeat([]byte{0x10, 0x00, 0xEE}, 40000)...)
	pic := filepath.Join(dir, "holiday.jpg")
	if err := os.WriteFile(pic, jpeg, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(iwfBinary, "send", "file", "--iwf", iwfAddr, "--to", "tel:+447700900201", pic).CombinedOutput(); err != nil ||
		!strings.Contains(string(out), "file-transfer") {
		t.Fatalf("send file (picture): %v\n%s", err, out)
	}
	_, types, bodies := content(t, submitted(e, relay, 1)[0])
	if !bytes.Equal(bodies["image/jpeg"], jpeg) {
		t.Errorf("the relay got parts %v, not the picture", types)
	}

	// A text too large for pager mode to an SMS user.
	long := strings.Repeat("A long note from CPM, sent in large-message mode. ", 40) // 2,000 characters
	note := filepath.Join(dir, "note.txt")
	if err := os.WriteFile(note, []byte(long), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(iwfBinary, "send", "file", "--iwf", iwfAddr, "--to", "tel:+447700900123", note).CombinedOutput(); err != nil ||
		!strings.Contains(string(out), "large-message") {
		t.Fatalf("send file (text): %v\n%s", err, out)
	}
	e.eventually("the long text at the SMSC", 20*time.Second, func() bool { return e.smsc.SubmitCount() >= 14 })
	msgs := joinSubmitted(t, e.smsc.Submitted())
	if m, ok := findText(msgs, long); !ok || m.parts != 14 || m.dest != "447700900123" {
		t.Errorf("SMSC got %+v; want the 2,000-character text in 14 concatenated parts", msgs)
	}

	// An MMS user's video reaches the CPM user over MSRP.
	video := bytes.Repeat([]byte{0x00, 0x00, 0x00, 0x18, 'f', 't', 'y', 'p'}, 300<<10/8)
	st, err := relay.InjectDeliver(context.Background(), mm7.DeliverReq{
		Sender:     &mm7.Address{Kind: mm7.KindNumber, Value: "+447700900201"},
		Recipients: &mm7.Recipients{To: mm7.AddressList{{Kind: mm7.KindNumber, Value: "+447700900555"}}},
		Subject:    "Video",
	}, []mm7.Part{{ContentType: "video/mp4", ContentID: "v1", ContentLocation: "clip.mp4", Body: video, TransferEncoding: "base64"}})
	if err != nil || st != mm7.StatusSuccess {
		t.Fatalf("DeliverReq answered %v, %v", st, err)
	}
	e.eventually("the video at the CPM user", 30*time.Second, func() bool { return len(ua.largeMessages()) == 1 })
	got := ua.largeMessages()[0]
	r := &sip.Request{RequestURI: "tel:+447700900555", ContentType: got.ContentType, Body: got.Body}
	m, err := translate.MessageFromSIP(r)
	if err != nil {
		t.Fatalf("the large message is not CPIM: %v", err)
	}
	if m.Subject != "Video" || len(m.Parts) != 1 || !bytes.Equal(m.Parts[0].Body, video) || !strings.HasPrefix(m.Parts[0].ContentType, "video/mp4") {
		t.Errorf("CPM user got subject %q, %d parts", m.Subject, len(m.Parts))
	}
}

// TestE2ELargeMessageSIGKILL kills iwf while CPM users send large
// messages over MSRP and restarts it: every message whose sender got the
// MSRP success report reaches the SMSC.
func TestE2ELargeMessageSIGKILL(t *testing.T) {
	e, _ := mmsE2E(t)
	dir := t.TempDir()
	iwfAddr := fmt.Sprintf("127.0.0.1:%d", e.sipPort)
	const senders, each = 4, 60
	var (
		mu        sync.Mutex
		confirmed []string
		wg        sync.WaitGroup
	)
	for s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				text := fmt.Sprintf("large %d-%d %s", s, i, strings.Repeat("x", 1500))
				path := filepath.Join(dir, fmt.Sprintf("m%d-%d.txt", s, i))
				if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
					t.Error(err)
					return
				}
				out, err := exec.Command(iwfBinary, "send", "file", "--timeout", "5s", "--iwf", iwfAddr, "--to", "tel:+447700900123", path).CombinedOutput()
				if err == nil && strings.Contains(string(out), "success report") {
					mu.Lock()
					confirmed = append(confirmed, text)
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(time.Second)
	e.kill9()
	killedAt := e.smsc.SubmitCount()
	time.Sleep(300 * time.Millisecond)
	e.start()
	wg.Wait()
	if len(confirmed) < senders {
		t.Fatalf("only %d large messages confirmed", len(confirmed))
	}
	// Each text's marker ("large s-i ") opens its first segment; a repeat
	// after the SIGKILL (at-least-once) only adds another first segment.
	firsts := func() map[string]int {
		seen := map[string]int{}
		for _, sm := range e.smsc.Submitted() {
			if seg := decodeText(t, sm); seg.Seq <= 1 {
				marker, _, _ := strings.Cut(seg.Text, "x")
				seen[marker]++
			}
		}
		return seen
	}
	e.eventually("every confirmed large message at the SMSC", 60*time.Second, func() bool {
		seen := firsts()
		for _, text := range confirmed {
			marker, _, _ := strings.Cut(text, "x")
			if seen[marker] == 0 {
				return false
			}
		}
		return true
	})
	t.Logf("%d of %d large messages confirmed across a SIGKILL (at %d submits); all reached the SMSC", len(confirmed), senders*each, killedAt)
}
