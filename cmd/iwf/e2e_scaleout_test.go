package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/iwf-gateway/iwf/adapters/sip"
	"github.com/iwf-gateway/iwf/cpm"
	"github.com/iwf-gateway/iwf/sim/smsc"
	"github.com/iwf-gateway/iwf/translate"
)

// newKafkaCluster starts a three-broker Kafka-protocol cluster in this
// process, over TCP on loopback.
func newKafkaCluster(t *testing.T) *kfake.Cluster {
	t.Helper()
	cluster, err := kfake.NewCluster(kfake.NumBrokers(3), kfake.GroupMinSessionTimeout(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	return cluster
}

// kafkaJournalYAML is the journal section that puts iwf on the cluster,
// with timings short enough for tests.
func kafkaJournalYAML(cluster *kfake.Cluster, prefix string) string {
	return fmt.Sprintf(`journal:
  backend: kafka
  kafka:
    brokers: ["%s"]
    topic_prefix: %s
    partitions: 12
    replication: 3
    group: %s
    session_timeout: 2s
    heartbeat_interval: 200ms
    commit_interval: 200ms
    fetch_max_wait: 100ms
    write_timeout: 2s
`, strings.Join(cluster.ListenAddrs(), `", "`), prefix, prefix)
}

// cpmLoad sends CPIM MESSAGEs asking for delivery notifications to iwf
// instances, round robin, and records which were accepted (202) and how
// the others were answered.
type cpmLoad struct {
	clients []*sip.Endpoint

	mu       sync.Mutex
	accepted map[int]int // message number -> the instance that accepted it
	refused  map[string]int
}

func newCPMLoad(t *testing.T, instances ...*e2e) *cpmLoad {
	t.Helper()
	l := &cpmLoad{accepted: map[int]int{}, refused: map[string]int{}}
	for _, in := range instances {
		ep, err := sip.New(sip.Config{Listen: []string{"tcp:127.0.0.1:0"}, OutboundProxy: fmt.Sprintf("sip:127.0.0.1:%d;transport=tcp", in.sipPort),
			TransactionTimeout: 10 * time.Second}, slog.New(slog.DiscardHandler),
			func(context.Context, *sip.Request) error {
				return &sip.StatusError{Code: 405, Reason: "Method Not Allowed"}
			})
		if err != nil {
			t.Fatal(err)
		}
		if err := ep.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = ep.Close() })
		l.clients = append(l.clients, ep)
	}
	return l
}

// loadText is the SMS text of message n.
func loadText(n int) string { return fmt.Sprintf("scale #%d", n) }

// loadID is the imdn.Message-ID of message n.
func loadID(n int) string { return fmt.Sprintf("scale-%d", n) }

// run sends messages first..first+count-1 with conc senders, each
// pausing for pace after each MESSAGE; the n-th goes to instance n mod
// len(clients), to one of 97 recipients.
func (l *cpmLoad) run(first, count, conc int, pace time.Duration) {
	var next atomic.Int64
	next.Store(int64(first))
	var wg sync.WaitGroup
	for range conc {
		wg.Go(func() {
			for {
				n := int(next.Add(1) - 1)
				if n >= first+count {
					return
				}
				l.send(n)
				time.Sleep(pace)
			}
		})
	}
	wg.Wait()
}

func (l *cpmLoad) send(n int) {
	const from = "sip:+447700900999@iwf.example.net;user=phone"
	to := fmt.Sprintf("tel:+4477009001%02d", n%97)
	m := cpm.Message{ID: loadID(n), From: from, To: cpm.Address(to), DateTime: time.Now(), Notify: cpm.PositiveDelivery,
		Parts: []cpm.Part{{ContentType: "text/plain;charset=utf-8", Body: []byte(loadText(n))}}}
	i := n % len(l.clients)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err := l.clients[i].Send(ctx, &sip.Outgoing{RequestURI: to, From: from, To: to, PAssertedIdentity: from,
		ContentType: "message/cpim", Body: m.CPIM().Marshal()})
	l.mu.Lock()
	defer l.mu.Unlock()
	var se *sip.StatusError
	switch {
	case err == nil:
		l.accepted[n] = i
	case errors.As(err, &se):
		l.refused[fmt.Sprint(se.Code)]++
	default:
		l.refused["no answer"]++
	}
}

func (l *cpmLoad) acceptedSet() map[int]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[int]int, len(l.accepted))
	for n, i := range l.accepted {
		out[n] = i
	}
	return out
}

func (l *cpmLoad) refusals() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]int{}
	for k, v := range l.refused {
		out[k] = v
	}
	return out
}

// delivered returns the imdn.Message-IDs of the delivered notifications
// the CPM user agent took, with how many times each came.
func (ua *cpmUA) delivered(t *testing.T) map[string]int {
	t.Helper()
	seen := map[string]int{}
	for _, r := range ua.pagerMessages() {
		_, rep, isReport, err := translate.FromSIP(r)
		if err == nil && isReport && rep.Status == cpm.Delivered {
			seen[rep.MessageID]++
		}
	}
	return seen
}

// awaitOutcomes waits until every accepted message reached the SMSC and
// its delivery notification reached the CPM user, and returns the
// repeats at the SMSC.
func awaitOutcomes(t *testing.T, e *e2e, ua *cpmUA, accepted map[int]int, logs func() string) (repeats int) {
	t.Helper()
	missing := func() (sms, imdn []int) {
		got := ua.delivered(t)
		for n := range accepted {
			if e.seenCount(loadText(n)) == 0 {
				sms = append(sms, n)
			}
			if got[loadID(n)] == 0 {
				imdn = append(imdn, n)
			}
		}
		return sms, imdn
	}
	deadline := time.Now().Add(120 * time.Second)
	for {
		sms, imdn := missing()
		if len(sms) == 0 && len(imdn) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("of %d accepted, %d never reached the SMSC (e.g. %v) and %d got no delivered IMDN (e.g. %v)\n%s",
				len(accepted), len(sms), sms[:min(len(sms), 10)], len(imdn), imdn[:min(len(imdn), 10)], logs())
		}
		time.Sleep(100 * time.Millisecond)
	}
	for n := range accepted {
		if c := e.seenCount(loadText(n)); c > 1 {
			repeats += c - 1
		}
	}
	return repeats
}

// TestE2EScaleOutSIGKILL runs three iwf processes on one Kafka journal
// (a three-broker cluster in this process), all bound to one SMSC, and
// sends CPIM MESSAGEs asking for delivery notifications to all three,
// and MO SMS on the SMSC's binds to them.
// The SMSC hands each receipt to any bound instance, so most reach an
// instance other than the one that submitted the message. One instance
// is killed with SIGKILL mid-load: every MESSAGE that got a 202 reaches
// the SMSC and its delivered IMDN reaches the CPM user, whoever accepted
// it, submitted it or took its receipt; every MO SMS iwf acknowledged
// reaches the CPM user.
func TestE2EScaleOutSIGKILL(t *testing.T) {
	t.Setenv("IWF_CONSOLE_TOKEN", benchConsoleToken) // for scrapeMetrics
	cluster := newKafkaCluster(t)
	journal := kafkaJournalYAML(cluster, "scale")
	first := newE2E(t, e2eOptions{smsc: smsc.Config{ReceiptDelay: 300 * time.Millisecond}, extra: journal})
	ua := startCPMUA(t, first.uasPort)
	second := newE2E(t, e2eOptions{peer: first, extra: journal})
	third := newE2E(t, e2eOptions{peer: first, extra: journal})
	instances := []*e2e{first, second, third}
	for _, in := range instances {
		in.waitHTTP("/readyz")
	}
	logs := func() string {
		var b strings.Builder
		for i, in := range instances {
			fmt.Fprintf(&b, "--- iwf %d log (tail):\n%s\n", i, tail(in.logText(), 30))
		}
		return b.String()
	}

	load := newCPMLoad(t, instances...)
	const total, mo = 900, 60
	// MO SMS from SMS users to CPM users, on whichever bind the SMSC
	// picks, half before the kill and half after.
	moSent := map[string]bool{}
	injectMO := func(from, to int) {
		for i := from; i < to; i++ {
			text := fmt.Sprintf("mo #%d", i)
			err := first.smsc.InjectMO(context.Background(), moText(fmt.Sprintf("4477009002%02d", i%50), fmt.Sprintf("4477009009%02d", i%40), text))
			if err == nil {
				moSent[text] = true
			}
		}
	}
	injectMO(0, mo/2)
	load.run(0, total/3, 12, 0)
	second.kill9()
	injectMO(mo/2, mo)
	load.run(total/3, total-total/3, 12, 0)

	accepted := load.acceptedSet()
	perInstance := make([]int, len(instances))
	for _, i := range accepted {
		perInstance[i]++
	}
	if perInstance[0] < total/6 || perInstance[2] < total/6 || perInstance[1] == 0 {
		t.Fatalf("accepted per instance %v of %d sent (refused %v)\n%s", perInstance, total, load.refusals(), logs())
	}
	repeats := awaitOutcomes(t, first, ua, accepted, logs)
	if len(moSent) < mo/2 {
		t.Fatalf("the SMSC delivered only %d of %d MO SMS to iwf", len(moSent), mo)
	}
	first.eventually("every MO SMS iwf acknowledged at the CPM user", 60*time.Second, func() bool {
		got := map[string]bool{}
		for _, text := range pagerTexts(t, ua) {
			got[text] = true
		}
		for text := range moSent {
			if !got[text] {
				return false
			}
		}
		return true
	})
	imdns := 0
	for _, c := range ua.delivered(t) {
		imdns += c
	}
	// The survivors' counts: work and receipts crossed between them.
	var sent, forwarded, handled int64
	for _, in := range []*e2e{first, third} {
		m, err := scrapeMetrics(context.Background(), fmt.Sprintf("127.0.0.1:%d", in.console))
		if err != nil {
			t.Fatal(err)
		}
		sent, handled = sent+m["iwf_letters_sent_total"], handled+m["iwf_letters_handled_total"]
		forwarded += m["iwf_reports_forwarded_total"]
	}
	if sent == 0 || handled == 0 || forwarded == 0 {
		t.Errorf("survivors sent %d letters (%d reports) and handled %d: the instances did not share the work", sent, forwarded, handled)
	}
	t.Logf("3 instances, one SIGKILLed after %d sends: %d of %d accepted (per instance %v, refused %v); all reached the SMSC (%d repeats) and got a delivered IMDN (%d IMDNs in all); %d of %d MO SMS acknowledged, all at the CPM user; the survivors sent %d letters, %d of them reports, and handled %d",
		total/3, len(accepted), total, perInstance, load.refusals(), repeats, imdns, len(moSent), mo, sent, forwarded, handled)
}

// TestE2EKafkaBrokerRestart stops a broker under load and makes the
// cluster unable to acknowledge writes (too few in-sync replicas), then
// restarts it: while writes cannot be acknowledged iwf answers with a
// temporary error (503), and every MESSAGE that got a 202 reaches the
// SMSC with its delivered IMDN.
func TestE2EKafkaBrokerRestart(t *testing.T) {
	cluster := newKafkaCluster(t)
	const sent = 1200
	e := newE2E(t, e2eOptions{smsc: smsc.Config{ReceiptDelay: 100 * time.Millisecond}, extra: kafkaJournalYAML(cluster, "restart")})
	ua := startCPMUA(t, e.uasPort)
	e.waitHTTP("/readyz")
	load := newCPMLoad(t, e)

	done := make(chan struct{})
	// About 200 MESSAGEs a second for 6 seconds.
	go func() { defer close(done); load.run(0, sent, 8, 40*time.Millisecond) }()
	time.Sleep(time.Second)

	// The broker stops; with it gone the partitions' in-sync replicas
	// fall below min.insync.replicas and produce is refused.
	const node = 2
	port := 0
	if _, p, ok := strings.Cut(cluster.ListenAddrs()[node], ":"); ok {
		fmt.Sscan(p, &port)
	}
	if err := cluster.RemoveNode(node); err != nil {
		t.Fatal(err)
	}
	fault := cluster.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Err: kerr.NotEnoughReplicas, Count: -1})
	time.Sleep(4 * time.Second) // past journal.kafka.write_timeout
	fault.Remove()
	if _, _, err := cluster.AddNode(node, port); err != nil {
		t.Fatalf("restarting broker %d on port %d: %v", node, port, err)
	}
	<-done

	accepted := load.acceptedSet()
	refused := load.refusals()
	if refused["503"] == 0 {
		t.Errorf("no 503 while writes could not be acknowledged (refused %v, accepted %d)", refused, len(accepted))
	}
	if len(accepted) < 100 {
		t.Fatalf("only %d of %d accepted (refused %v)\n%s", len(accepted), sent, refused, tail(e.logText(), 40))
	}
	repeats := awaitOutcomes(t, e, ua, accepted, func() string { return tail(e.logText(), 40) })
	t.Logf("broker stopped and restarted under load: %d of %d accepted, refused %v; all reached the SMSC (%d repeats) with their IMDN", len(accepted), sent, refused, repeats)
}

// TestE2EKafkaJournalCommands: with two instances running on one Kafka
// journal, `iwf journal ls --config` lists the messages of both (a
// snapshot of the topics, taken without disturbing the instances), and
// `iwf replay --config … --console` through one instance replays every
// selected message, those the other instance owns included.
func TestE2EKafkaJournalCommands(t *testing.T) {
	t.Setenv("IWF_CONSOLE_TOKEN", benchConsoleToken)
	cluster := newKafkaCluster(t)
	journal := kafkaJournalYAML(cluster, "cmds")
	first := newE2E(t, e2eOptions{smsc: smsc.Config{}, extra: journal})
	ua := startCPMUA(t, first.uasPort)
	second := newE2E(t, e2eOptions{peer: first, extra: journal})
	for _, in := range []*e2e{first, second} {
		in.waitHTTP("/readyz")
	}
	load := newCPMLoad(t, first, second)
	const n = 40
	load.run(0, n, 4, 0)
	accepted := load.acceptedSet()
	if len(accepted) != n {
		t.Fatalf("%d of %d accepted (refused %v)", len(accepted), n, load.refusals())
	}
	awaitOutcomes(t, first, ua, accepted, func() string { return tail(first.logText(), 30) + tail(second.logText(), 30) })

	config := filepath.Join(first.dir, "iwf.yaml")
	out, stderr, err := runIWF(t, nil, "journal", "ls", "--config", config, "--state", "done", "--kind", "message", "--limit", "0")
	if err != nil {
		t.Fatalf("journal ls: %v\n%s", err, stderr)
	}
	for i := range n {
		if !strings.Contains(out, loadID(i)+" ") {
			t.Errorf("journal ls --config does not list %s:\n%s", loadID(i), out)
			break
		}
	}

	out, stderr, err = runIWF(t, nil, "replay", "--config", config, "--console", fmt.Sprintf("http://127.0.0.1:%d", first.console),
		"--address", "*", "--status", "delivered")
	if err != nil {
		t.Fatalf("replay: %v\n%s\n%s", err, out, stderr)
	}
	here, there := strings.Count(out, " as seq "), strings.Count(out, "handed to the iwf instance that owns it")
	if here+there != n || there == 0 {
		t.Errorf("replay: %d made by the console's instance, %d handed to the other; want %d in all, some handed over:\n%s", here, there, n, out)
	}
	first.eventually("every replay at the SMSC", 60*time.Second, func() bool {
		for i := range n {
			if first.seenCount(loadText(i)) < 2 {
				return false
			}
		}
		return true
	})
	t.Logf("journal ls --config listed all %d messages of both instances; replay through one console: %d made there, %d handed to the other; all %d at the SMSC again", n, here, there, n)
}
