package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/spf13/cobra"

	"github.com/iwf-gateway/iwf/adapters/mms"
	"github.com/iwf-gateway/iwf/adapters/mms/mm7"
	"github.com/iwf-gateway/iwf/adapters/mms/mm7test"
)

// Bounds of `iwf bench mms --size`: iwf takes SIP bodies up to 1 MiB, and
// the CPIM envelope and MIME headers need a few hundred bytes of it.
const (
	minBenchImage = 1 << 10
	maxBenchImage = 900 << 10
)

// benchMMSOptions are the flags of `iwf bench mms`.
type benchMMSOptions struct {
	peerBenchOptions
	Size byteSize // of the image in each message
}

func newBenchMMSCmd() *cobra.Command {
	o := benchMMSOptions{Size: 100 << 10}
	cmd := newPeerBenchCmd(&cobra.Command{
		Use:   "mms",
		Short: "Drive picture messages from CPM through iwf into an MM7 relay and report rates, latency, memory and losses",
		Long: "Runs iwf (this binary, `serve`) as a child process with the local journal, and in this process\n" +
			"a fake MMS Relay/Server (MM7) and a SIP TCP load generator, all on loopback. Every MESSAGE is\n" +
			"message/cpim holding multipart/mixed: the text \"bench <n>\" and a JPEG-shaped image of --size\n" +
			"bytes; its Subject is \"bench <n>\" too. The relay records which numbers reached it and checks\n" +
			"each image byte for byte, so lost, repeated and damaged messages are counted exactly.",
		Example: "  iwf bench mms                        # 10,000 messages of 100 KB as fast as iwf takes them\n" +
			"  iwf bench mms --rate 500             # latency at a fixed rate\n" +
			"  iwf bench mms --size 300KB --workers 32",
	}, &o.peerBenchOptions, "relay", 10_000, func(ctx context.Context, log io.Writer) (*peerBenchResult, error) {
		return runBenchMMS(ctx, o, log)
	})
	cmd.Flags().Var(&o.Size, "size", "bytes of the image in each message (e.g. 100KB, 1MB, 51200)")
	return cmd
}

// runBenchMMS runs one `iwf bench mms`; progress goes to log.
func runBenchMMS(ctx context.Context, o benchMMSOptions, log io.Writer) (*peerBenchResult, error) {
	if o.Size < minBenchImage || o.Size > maxBenchImage {
		return nil, errors.New("bench: --size must be 1KB..900KB")
	}
	return runPeerBench(ctx, o.peerBenchOptions, &mmsBenchPeer{size: int(o.Size), workers: o.Workers}, log)
}

// byteSize is a flag value in bytes, written as 51200, 100K, 100KB or
// 1MB (K is 1024 bytes, M 1024 K).
type byteSize int

func (s *byteSize) String() string {
	if *s != 0 && *s%1024 == 0 {
		return strconv.Itoa(int(*s)/1024) + "KB"
	}
	return strconv.Itoa(int(*s))
}

func (s *byteSize) Set(v string) error {
	num, unit := strings.ToUpper(strings.TrimSpace(v)), 1
	for _, u := range []struct {
		suffix string
		mult   int
	}{{"KB", 1 << 10}, {"K", 1 << 10}, {"MB", 1 << 20}, {"M", 1 << 20}, {"B", 1}} {
		if rest, ok := strings.CutSuffix(num, u.suffix); ok {
			num, unit = strings.TrimSpace(rest), u.mult
			break
		}
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 || n > 1<<30/unit {
		return fmt.Errorf("%q is not a size such as 51200, 100KB or 1MB", v)
	}
	*s = byteSize(n * unit)
	return nil
}

func (*byteSize) Type() string { return "size" }

// mmsBenchPeer is the MM7 relay of `iwf bench mms`.
type mmsBenchPeer struct {
	size, workers int
	relay         *mm7test.Relay
	body          *mmsBenchBody
	damaged       atomic.Int64 // submits whose image is not the one sent
}

func (p *mmsBenchPeer) start(rec *arrivalRecorder, runID string) (peerSpec, error) {
	p.body = newMMSBenchBody(p.size, runID)
	relay, err := mm7test.NewRelay(mm7test.Config{Username: "bench", Password: "bench", OnSubmit: func(s mm7test.Submit) {
		p.onSubmit(rec, s)
	}})
	if err != nil {
		return peerSpec{}, err
	}
	vaspPort, err := freePort("tcp")
	if err != nil {
		relay.Close()
		return peerSpec{}, fmt.Errorf("bench: %w", err)
	}
	p.relay = relay
	return peerSpec{
		Name: "relay", Where: "the relay", Unit: "submits", Transport: "tcp",
		Message: loadMessage{AppendURI: appendMMSBenchURI, ContentType: "message/cpim", AppendBody: p.body.appendBody},
		// 256 KiB at the default size, and room for the envelope above it.
		MaxBodyBytes: min(1<<20, max(256<<10, p.size+64<<10)),
		Sections:     p.sections(relay.URL(), vaspPort),
	}, nil
}

// sections is iwf's mm7 section toward the relay and the address map
// rule that routes the bench recipient there.
func (p *mmsBenchPeer) sections(relayURL string, vaspPort int) string {
	// Base64 makes the image a third larger on MM7; the SOAP envelope
	// and MIME headers add a few KB.
	maxMM7 := max(mms.DefaultMaxMessageBytes, p.size*3/2+64<<10)
	return fmt.Sprintf(`mm7:
  relay_url: %s
  listen: 127.0.0.1:%d
  vasp_id: bench
  vas_id: cpm
  username: bench
  password: bench
  inbound_username: relay
  inbound_password: bench
  max_message_bytes: %d
  max_conns: %d
%saddressmap:
  country_code: "44"
  rules:
    - {match: "+447800", network: mms, route: mm7}
`, relayURL, vaspPort, maxMM7, max(mms.DefaultMaxConns, p.workers), workersYAML(p.workers))
}

// onSubmit is the relay's OnSubmit hook: the Subject says which message
// it is, and the image must be the one sent, byte for byte.
func (p *mmsBenchPeer) onSubmit(rec *arrivalRecorder, s mm7test.Submit) {
	req, ok := s.Message.Operation.(*mm7.SubmitReq)
	if !ok || s.MessageID == "" {
		return
	}
	rec.note(req.Subject)
	if !hasPart(s.Message.Attachments, "image/jpeg", p.body.image) {
		p.damaged.Add(1)
	}
}

// hasPart reports whether a leaf of parts has the media type and body.
func hasPart(parts []mm7.Part, mediaType string, body []byte) bool {
	for i := range parts {
		p := &parts[i]
		if len(p.Parts) > 0 {
			if hasPart(p.Parts, mediaType, body) {
				return true
			}
			continue
		}
		if mt, _, err := p.MediaType(); err == nil && mt == mediaType && bytes.Equal(p.Body, body) {
			return true
		}
	}
	return false
}

func (p *mmsBenchPeer) findings() []string {
	return []string{fmt.Sprintf("%d images damaged; iwf opened %d TCP connections to the relay",
		p.damaged.Load(), p.relay.Conns())}
}

func (p *mmsBenchPeer) close() {
	if p.relay != nil {
		p.relay.Close()
	}
}

// appendMMSBenchURI is the recipient of every bench MMS: a number the
// address map routes to the relay.
func appendMMSBenchURI(b []byte, _ int) []byte {
	return append(b, "sip:+447800900123@iwf.example.net;user=phone"...)
}

// mmsBenchBody writes the message/cpim body (RFC 3862) of `iwf bench mms`
// number n: an envelope with imdn.Message-ID "<run>.<n>" and Subject
// "bench <n>" around a multipart/mixed (RFC 2046 5.1.3) of the text
// "bench <n>" and one image. Only the numbers change from one message to
// the next, so the parts around them are formatted once.
type mmsBenchBody struct {
	runID    string
	boundary string
	textHead []byte // the first delimiter and the text part's headers
	tail     []byte // the rest after the text: the image part and the close delimiter
	image    []byte
}

func newMMSBenchBody(size int, runID string) *mmsBenchBody {
	m := &mmsBenchBody{runID: runID, image: benchJPEG(size)}
	m.boundary = "bench-" + runID
	for bytes.Contains(m.image, []byte(m.boundary)) {
		m.boundary += "x"
	}
	m.textHead = fmt.Appendf(nil, "--%s\r\nContent-Type: text/plain;charset=utf-8\r\n\r\n", m.boundary)
	m.tail = fmt.Appendf(nil, "\r\n--%s\r\nContent-Type: image/jpeg\r\nContent-Disposition: attachment; filename=bench.jpg\r\n\r\n", m.boundary)
	m.tail = append(m.tail, m.image...)
	m.tail = fmt.Appendf(m.tail, "\r\n--%s--\r\n", m.boundary)
	return m
}

func (m *mmsBenchBody) appendBody(b []byte, n int) []byte {
	text := appendBenchText(nil, n)
	b = append(b, "From: <sip:+447700900999@bench.example.net;user=phone>\r\nTo: <"...)
	b = appendMMSBenchURI(b, n)
	b = append(b, ">\r\nNS: imdn <urn:ietf:params:imdn>\r\nimdn.Message-ID: "...)
	b = strconv.AppendInt(append(append(b, m.runID...), '.'), int64(n), 10)
	b = append(append(append(b, "\r\nSubject: "...), text...), "\r\n\r\n"...)
	b = fmt.Appendf(b, "Content-Type: multipart/mixed;boundary=\"%s\"\r\nContent-Length: %d\r\n\r\n",
		m.boundary, len(m.textHead)+len(text)+len(m.tail))
	b = append(append(b, m.textHead...), text...)
	return append(b, m.tail...)
}

// benchJPEG is size bytes shaped like a JPEG file (SOI and APP0 markers
// first, EOI last) around pseudo-random bytes, as incompressible as the
// entropy-coded data of a real photograph; the same size gives the same
// bytes.
func benchJPEG(size int) []byte {
	img := make([]byte, size)
	_, _ = rand.NewChaCha8([32]byte{'i', 'w', 'f'}).Read(img)
	copy(img, []byte{0xFF, 0xD8, 0xFF, 0xE0})
	if size >= 6 {
		img[size-2], img[size-1] = 0xFF, 0xD9
	}
	return img
}
