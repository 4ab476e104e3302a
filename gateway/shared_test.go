package gateway

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	sipgosip "github.com/emiago/sipgo/sip"

	"github.com/iwf-gateway/iwf/adapters/sip"
	"github.com/iwf-gateway/iwf/adapters/smpp"
	"github.com/iwf-gateway/iwf/addressmap"
	"github.com/iwf-gateway/iwf/cpm"
	"github.com/iwf-gateway/iwf/journal"
	"github.com/iwf-gateway/iwf/sim/smsc"
	"github.com/iwf-gateway/iwf/translate"
)

// fakeCluster is an in-memory journal.Shared shared by several members:
// entries and refs in maps, sequence numbers (global counter << 8 |
// partition) strictly increasing, letters kept per partition until Done.
// Rebalance moves partitions the way an eager consumer group does (every
// member owns nothing for a moment); Kill makes a member fail every call,
// as a process killed with its undone letters left for the next owner.
type fakeCluster struct {
	parts   int
	mu      sync.Mutex
	owner   []*fakeMember // by partition; nil: none
	entries map[uint64]journal.Entry
	refs    map[string]uint64
	next    uint64
	letters [][]*fakeLetter // by partition, in the order sent
	members []*fakeMember
}

type fakeLetter struct {
	data []byte
	done bool
	to   *fakeMember // delivered to, in generation gen; nil: not yet
	gen  int
}

// fakeMember is one instance's journal.Shared.
type fakeMember struct {
	c       *fakeCluster
	name    string
	dead    bool // under c.mu
	gen     int  // under c.mu: bumped at every change of ownership
	changed chan struct{}
	out     chan journal.Letter
	wake    chan struct{}
	quit    chan struct{}
	stop    sync.Once
	pumped  sync.WaitGroup
}

func newFakeCluster(parts int) *fakeCluster {
	return &fakeCluster{parts: parts, owner: make([]*fakeMember, parts), entries: map[uint64]journal.Entry{},
		refs: map[string]uint64{}, letters: make([][]*fakeLetter, parts)}
}

func (c *fakeCluster) member(name string) *fakeMember {
	m := &fakeMember{c: c, name: name, changed: make(chan struct{}), out: make(chan journal.Letter),
		wake: make(chan struct{}, 1), quit: make(chan struct{})}
	c.mu.Lock()
	c.members = append(c.members, m)
	c.mu.Unlock()
	m.pumped.Add(1)
	go m.pump()
	return m
}

// assign gives partition p to owners[p] (nil: nobody).
func (c *fakeCluster) assign(owners []*fakeMember) {
	c.mu.Lock()
	defer c.mu.Unlock()
	copy(c.owner, owners)
	for _, ls := range c.letters {
		for _, l := range ls {
			l.to = nil // undone letters go (again) to the partition's owner
		}
	}
	for _, m := range c.members {
		m.notifyLocked()
	}
}

// Rebalance takes every partition from every member, then hands them out
// as owners says.
func (c *fakeCluster) Rebalance(owners []*fakeMember) {
	c.assign(make([]*fakeMember, c.parts))
	c.assign(owners)
}

// Kill makes m fail every call from now on and stops its letters; its
// partitions stay assigned to it until the next Rebalance.
func (c *fakeCluster) Kill(m *fakeMember) {
	c.mu.Lock()
	m.dead = true
	m.notifyLocked()
	c.mu.Unlock()
	m.stopPump()
}

// undone counts the letters not Done.
func (c *fakeCluster) undone() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, ls := range c.letters {
		for _, l := range ls {
			if !l.done {
				n++
			}
		}
	}
	return n
}

func (m *fakeMember) notifyLocked() {
	m.gen++
	close(m.changed)
	m.changed = make(chan struct{})
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

func (m *fakeMember) stopPump() {
	m.stop.Do(func() { close(m.quit) })
	m.pumped.Wait()
}

// pump delivers the letters of owned partitions, in order per partition.
func (m *fakeMember) pump() {
	defer m.pumped.Done()
	defer close(m.out)
	for {
		l, ok := m.nextLetter()
		if !ok {
			select {
			case <-m.wake:
				continue
			case <-m.quit:
				return
			}
		}
		select {
		case m.out <- l:
		case <-m.quit:
			return
		}
	}
}

func (m *fakeMember) nextLetter() (journal.Letter, bool) {
	c := m.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if m.dead {
		return journal.Letter{}, false
	}
	for p, ls := range c.letters {
		if c.owner[p] != m {
			continue
		}
		for _, l := range ls {
			if l.done || (l.to == m && l.gen == m.gen) {
				continue
			}
			l.to, l.gen = m, m.gen
			fl, gen := l, m.gen
			return journal.NewLetter(p, bytes.Clone(l.data), func() {
				c.mu.Lock()
				defer c.mu.Unlock()
				if fl.to == m && fl.gen == gen && m.gen == gen && !m.dead {
					fl.done = true
				}
			}), true
		}
	}
	return journal.Letter{}, false
}

func (m *fakeMember) Partitions() int                { return m.c.parts }
func (m *fakeMember) PartitionOf(seq uint64) int     { return int(seq & 0xFF) }
func (m *fakeMember) Letters() <-chan journal.Letter { return m.out }

func (m *fakeMember) PartitionFor(key string) int {
	h := fnv.New32a()
	h.Write([]byte(key))
	return int(h.Sum32() % uint32(m.c.parts))
}

func (m *fakeMember) Ownership() ([]int, <-chan struct{}) {
	c := m.c
	c.mu.Lock()
	defer c.mu.Unlock()
	var owned []int
	for p, o := range c.owner {
		if o == m && !m.dead {
			owned = append(owned, p)
		}
	}
	return owned, m.changed
}

func (m *fakeMember) Put(ctx context.Context, entries []journal.Entry) error {
	return m.write(-1, entries)
}

func (m *fakeMember) PutIn(ctx context.Context, p int, entries []journal.Entry) error {
	return m.write(p, entries)
}

// write applies entries atomically in partition p (-1: the partition of
// the entries with a Seq, else the first owned one).
func (m *fakeMember) write(p int, entries []journal.Entry) error {
	c := m.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if m.dead {
		return journal.ErrClosed
	}
	for _, e := range entries {
		if e.Seq == 0 {
			continue
		}
		switch q := m.PartitionOf(e.Seq); {
		case p < 0:
			p = q
		case p != q:
			return fmt.Errorf("fake journal: entries of partitions %d and %d in one write", p, q)
		}
	}
	if p < 0 {
		for q, o := range c.owner {
			if o == m {
				p = q
				break
			}
		}
	}
	if p < 0 || p >= c.parts || c.owner[p] != m {
		return fmt.Errorf("fake journal: partition %d: %w", p, journal.ErrNotOwner)
	}
	now := time.Now()
	for i := range entries {
		e := &entries[i]
		if e.Seq == 0 {
			c.next++
			e.Seq = c.next<<8 | uint64(p)
		}
		if e.Time.IsZero() {
			e.Time = now
		}
		stored := *e
		stored.Data, stored.Tail = bytes.Clone(e.Payload()), nil
		stored.Refs = slices.Clone(e.Refs)
		if old, ok := c.entries[e.Seq]; ok {
			for _, r := range old.Refs {
				if !slices.Contains(stored.Refs, r) {
					stored.Refs = append(stored.Refs, r)
				}
			}
		}
		c.entries[e.Seq] = stored
		for _, r := range e.Refs {
			c.refs[r] = e.Seq
		}
	}
	return nil
}

func (m *fakeMember) Get(ctx context.Context, seq uint64) (journal.Entry, error) {
	c := m.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if m.dead {
		return journal.Entry{}, journal.ErrClosed
	}
	e, ok := c.entries[seq]
	if !ok || c.owner[m.PartitionOf(seq)] != m {
		return journal.Entry{}, journal.ErrNotFound
	}
	e.Data, e.Refs = bytes.Clone(e.Data), slices.Clone(e.Refs)
	return e, nil
}

func (m *fakeMember) Lookup(ctx context.Context, ref string) (uint64, error) {
	c := m.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if m.dead {
		return 0, journal.ErrClosed
	}
	seq, ok := c.refs[ref]
	if !ok {
		return 0, journal.ErrNotFound
	}
	return seq, nil
}

func (m *fakeMember) Scan(ctx context.Context, state journal.State, after uint64, fn func(journal.Entry) error) error {
	c := m.c
	c.mu.Lock()
	if m.dead {
		c.mu.Unlock()
		return journal.ErrClosed
	}
	var found []journal.Entry
	for seq, e := range c.entries {
		if seq > after && e.State == state && c.owner[m.PartitionOf(seq)] == m {
			e.Data, e.Refs = bytes.Clone(e.Data), slices.Clone(e.Refs)
			found = append(found, e)
		}
	}
	c.mu.Unlock()
	slices.SortFunc(found, func(a, b journal.Entry) int { return cmp.Compare(a.Seq, b.Seq) })
	for _, e := range found {
		if err := fn(e); err != nil {
			if errors.Is(err, journal.ErrStop) {
				return nil
			}
			return err
		}
	}
	return nil
}

func (m *fakeMember) Send(ctx context.Context, p int, data []byte) error {
	c := m.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if m.dead {
		return journal.ErrClosed
	}
	if p < 0 || p >= c.parts {
		return fmt.Errorf("fake journal: no partition %d", p)
	}
	c.letters[p] = append(c.letters[p], &fakeLetter{data: bytes.Clone(data)})
	if o := c.owner[p]; o != nil {
		select {
		case o.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

func (m *fakeMember) Close() error {
	m.stopPump()
	return nil
}

// cpmCore stands in for the SIP/IP core: it records every MESSAGE the
// gateways send toward CPM users (answering 202) and sends MESSAGEs from
// CPM users to a gateway.
type cpmCore struct {
	t      *testing.T
	addr   string // host:port of its UDP and TCP listeners
	mu     sync.Mutex
	got    []sip.Request
	client *sipgo.Client
	seq    int
}

func startCPMCore(t *testing.T) *cpmCore {
	t.Helper()
	core := &cpmCore{t: t}
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("core"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	srv.OnMessage(func(req *sipgosip.Request, tx sipgosip.ServerTransaction) {
		r := sip.Request{RequestURI: req.Recipient.String(), ContentType: headerValue(req, "Content-Type"), Body: bytes.Clone(req.Body())}
		if h := req.From(); h != nil {
			r.From = h.Address.String()
		}
		if h := req.To(); h != nil {
			r.To = h.Address.String()
		}
		core.mu.Lock()
		core.got = append(core.got, r)
		core.mu.Unlock()
		tx.Respond(sipgosip.NewResponseFromRequest(req, 202, "Accepted", nil))
	})
	var ln net.Listener
	var pc net.PacketConn
	for range 20 {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		if pc, err = net.ListenPacket("udp", ln.Addr().String()); err == nil {
			break
		}
		ln.Close()
	}
	if pc == nil {
		t.Fatal("no free port pair")
	}
	core.addr = ln.Addr().String()
	cua, err := sipgo.NewUA(sipgo.WithUserAgent("cpm-user"))
	if err != nil {
		t.Fatal(err)
	}
	core.client, err = sipgo.NewClient(cua, sipgo.WithClientConnectionAddr("127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() { srv.ServeTCP(ln) })
	wg.Go(func() { srv.ServeUDP(pc) })
	t.Cleanup(func() {
		ln.Close()
		pc.Close()
		ua.Close()
		cua.Close()
		wg.Wait()
	})
	return core
}

func headerValue(req *sipgosip.Request, name string) string {
	if h := req.GetHeader(name); h != nil {
		return h.Value()
	}
	return ""
}

// send sends a CPIM MESSAGE from a CPM user to the legacy user to at
// the gateway listening on gw, asking for delivery notifications, and
// returns the SIP status.
func (core *cpmCore) send(gw, id, to, text string) int {
	core.t.Helper()
	core.mu.Lock()
	core.seq++
	n := core.seq
	core.mu.Unlock()
	var u sipgosip.Uri
	if err := sipgosip.ParseUri("sip:"+strings.TrimPrefix(to, "tel:")+"@"+gw+";user=phone", &u); err != nil {
		core.t.Fatal(err)
	}
	body := "From: <sip:+447700900999@ims.example.net>\r\nTo: <" + to + ">\r\nNS: imdn <urn:ietf:params:imdn>\r\n" +
		"imdn.Message-ID: " + id + "\r\nDateTime: 2026-11-27T10:00:00.000Z\r\n" +
		"imdn.Disposition-Notification: positive-delivery, negative-delivery\r\n\r\n" +
		"Content-Type: text/plain;charset=UTF-8\r\nContent-Length: " + strconv.Itoa(len(text)) + "\r\n\r\n" + text
	req := sipgosip.NewRequest(sipgosip.MESSAGE, u)
	req.AppendHeader(sipgosip.NewHeader("From", "<sip:+447700900999@ims.example.net;user=phone>;tag=u"+strconv.Itoa(n)))
	req.AppendHeader(sipgosip.NewHeader("P-Asserted-Identity", "<sip:+447700900999@ims.example.net;user=phone>"))
	req.AppendHeader(sipgosip.NewHeader("Content-Type", "message/cpim"))
	req.SetBody([]byte(body))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := core.client.Do(ctx, req)
	if err != nil {
		core.t.Fatalf("MESSAGE %s: %v", id, err)
	}
	return res.StatusCode
}

// reports returns the IMDNs the gateways sent.
func (core *cpmCore) reports() []cpm.Report {
	core.mu.Lock()
	defer core.mu.Unlock()
	var out []cpm.Report
	for i := range core.got {
		if rep, ok, err := translate.ReportFromSIP(&core.got[i]); err == nil && ok {
			out = append(out, rep)
		}
	}
	return out
}

// texts returns the texts of the messages the gateways sent.
func (core *cpmCore) texts() []string {
	core.mu.Lock()
	defer core.mu.Unlock()
	var out []string
	for i := range core.got {
		if _, ok, err := translate.ReportFromSIP(&core.got[i]); err == nil && ok {
			continue
		}
		if m, err := translate.MessageFromSIP(&core.got[i]); err == nil {
			t, _ := m.Text()
			out = append(out, t)
		}
	}
	return out
}

// node is one gateway instance: its member of the cluster, its own SMSC
// (all share one id space in practice; here their ids are random enough
// not to meet), its SMPP bind and its CM-7 endpoint, all on loopback.
type node struct {
	name string
	m    *fakeMember
	smsc *smsc.SMSC
	link *smpp.Client
	ep   *sip.Endpoint
	g    *Gateway
	run  chan error
	bind chan error

	mu   sync.Mutex
	subs map[string]smpp.ShortMessage // by SMSC message id
}

func startNode(t *testing.T, cl *fakeCluster, m *fakeMember, core *cpmCore) *node {
	t.Helper()
	n := &node{name: m.name, m: m, subs: map[string]smpp.ShortMessage{}}
	n.smsc = smsc.New(smsc.Config{OnSubmit: func(sm smpp.ShortMessage, id string) {
		n.mu.Lock()
		n.subs[id] = sm
		n.mu.Unlock()
	}}, nil)
	n.smsc.StopReceipts() // receipts are sent by the tests, on the bind they choose
	if err := n.smsc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	if os.Getenv("IWF_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("node", n.name)
	}
	var err error
	n.link, err = smpp.NewClient(smpp.Config{Address: n.smsc.Addr(), SystemID: "iwf", Password: "pw",
		ReconnectMin: 10 * time.Millisecond, ReconnectMax: 50 * time.Millisecond, ThrottlePause: 10 * time.Millisecond}, nil,
		func(ctx context.Context, sm *smpp.ShortMessage) error { return n.g.HandleDeliver(ctx, "smsc1", sm) })
	if err != nil {
		t.Fatal(err)
	}
	n.ep, err = sip.New(sip.Config{Listen: []string{"udp:127.0.0.1:0", "tcp:127.0.0.1:0"}, Domain: "iwf.example.net",
		OutboundProxy: "sip:" + core.addr}, nil, func(ctx context.Context, r *sip.Request) error { return n.g.HandleSIP(ctx, r) })
	if err != nil {
		t.Fatal(err)
	}
	am, err := addressmap.New(addressmap.Config{CountryCode: "44",
		Rules: []addressmap.Rule{{Match: "+4477009001", Network: NetworkSMS, Route: "smsc1"}}})
	if err != nil {
		t.Fatal(err)
	}
	n.g, err = New(Config{Retry: RetryConfig{Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond}, CPMWorkers: 4,
		ExpirySweep: 20 * time.Millisecond}, Deps{
		Journal: m, Addresses: am, CPM: n.ep, Log: log,
		CPMOut: translate.SIPOutboundConfig{Domain: "iwf.example.net", CPIM: true},
		SMS:    []SMSRoute{{Name: "smsc1", Link: n.link, Workers: 4}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.ep.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	n.run, n.bind = make(chan error, 1), make(chan error, 1)
	go func() { n.bind <- n.link.Run(context.Background()) }()
	go func() { n.run <- n.g.Run(context.Background()) }()
	<-n.g.Started()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.link.WaitReady(ctx); err != nil {
		t.Fatalf("%s: SMPP bind: %v", n.name, err)
	}
	t.Cleanup(n.stop)
	return n
}

// stop shuts the node down cleanly (idempotent).
func (n *node) stop() {
	if n.g == nil {
		return
	}
	_ = n.g.Shutdown(context.Background())
	<-n.run
	n.link.Close()
	<-n.bind
	n.ep.Close()
	n.smsc.Close()
	n.m.Close()
	n.g = nil
}

// kill ends the node as a crash would: its journal fails at once, its
// undone letters stay for the next owner, then everything stops.
func (n *node) kill(cl *fakeCluster) {
	cl.Kill(n.m)
	_ = n.g.Close()
	<-n.run
	n.link.Close()
	<-n.bind
	n.ep.Close()
	n.smsc.Close()
	n.g = nil
}

// sipAddr is the node's CM-7 UDP address.
func (n *node) sipAddr(t *testing.T) string {
	for _, a := range n.ep.Addrs() {
		if network, hp, _ := strings.Cut(a, ":"); network == "udp" {
			return hp
		}
	}
	t.Fatal("no udp listener")
	return ""
}

// submitted returns the messages this node's SMSC accepted, by id.
func (n *node) submitted() map[string]smpp.ShortMessage {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make(map[string]smpp.ShortMessage, len(n.subs))
	for id, sm := range n.subs {
		out[id] = sm
	}
	return out
}

// sendReceipt delivers a DELIVRD receipt for the message the SMSC of from
// accepted as id, on the bind of via.
func sendReceipt(t *testing.T, via *node, id string, sm smpp.ShortMessage) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := via.smsc.InjectMO(ctx, *receipt(sm, id, "DELIVRD")); err != nil {
		t.Fatalf("receipt %s on %s's bind: %v", id, via.name, err)
	}
}

// awaitShared polls cond for up to 20 s.
func awaitShared(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// recipientsIn returns n SMS users (+4477009001xx) whose partition is p.
func recipientsIn(t *testing.T, g *Gateway, p, n int, skip map[string]bool) []string {
	t.Helper()
	var out []string
	for i := 0; i < 1000 && len(out) < n; i++ {
		to := fmt.Sprintf("tel:+4477009001%03d", i)
		if !skip[to] && g.cluster.j.PartitionFor(g.canonicalAddress(to)) == p {
			out = append(out, to)
			skip[to] = true
		}
	}
	if len(out) < n {
		t.Fatalf("only %d recipients in partition %d", len(out), p)
	}
	return out
}

// ownersOf builds an assignment: partitions [from, to) to m.
func ownersOf(parts int, spans ...any) []*fakeMember {
	out := make([]*fakeMember, parts)
	for i := 0; i+2 < len(spans); i += 3 {
		m, from, to := spans[i].(*fakeMember), spans[i+1].(int), spans[i+2].(int)
		for p := from; p < to; p++ {
			out[p] = m
		}
	}
	return out
}

// dest is the SMS number of a tel: recipient, as submitted.
func dest(to string) string { return strings.TrimPrefix(to, "tel:+") }

// submitsByDest counts the accepted submits of every node by destination.
func submitsByDest(nodes ...*node) map[string]int {
	out := map[string]int{}
	for _, n := range nodes {
		for _, sm := range n.submitted() {
			out[sm.Dest.Addr]++
		}
	}
	return out
}

// reportsByID counts the IMDNs by the message id they report on, and
// checks they all say delivered.
func reportsByID(t *testing.T, core *cpmCore) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, r := range core.reports() {
		if r.Status != cpm.Delivered {
			t.Errorf("IMDN %+v, want delivered", r)
		}
		out[r.MessageID]++
	}
	return out
}

// TestSharedMessageDeliveredByOwner: MESSAGEs accepted at A are submitted
// by the owner of their recipient's partition, once each; a receipt that
// arrives on the other instance's bind becomes the IMDN all the same.
func TestSharedMessageDeliveredByOwner(t *testing.T) {
	const parts = 8
	cl := newFakeCluster(parts)
	ma, mb := cl.member("a"), cl.member("b")
	cl.assign(ownersOf(parts, ma, 0, 4, mb, 4, 8))
	core := startCPMCore(t)
	a, b := startNode(t, cl, ma, core), startNode(t, cl, mb, core)

	used := map[string]bool{}
	toB := append(recipientsIn(t, a.g, 5, 2, used), recipientsIn(t, a.g, 7, 2, used)...)
	toA := recipientsIn(t, a.g, 1, 2, used)
	ids := map[string]string{} // dest -> message id
	for i, to := range append(append([]string(nil), toB...), toA...) {
		id := fmt.Sprintf("owner-%d", i)
		ids[dest(to)] = id
		if code := core.send(a.sipAddr(t), id, to, "hello "+id); code != 202 {
			t.Fatalf("MESSAGE to %s: %d", to, code)
		}
	}
	awaitShared(t, "six submits", func() bool { return len(a.submitted())+len(b.submitted()) == 6 })
	awaitShared(t, "all awaiting receipts", func() bool { return a.g.Stats().AwaitingReceipts+b.g.Stats().AwaitingReceipts == 6 })
	for d, n := range submitsByDest(a, b) {
		if n != 1 {
			t.Errorf("%s submitted %d times, want once", d, n)
		}
	}
	for _, sm := range b.submitted() {
		if !slices.ContainsFunc(toB, func(to string) bool { return dest(to) == sm.Dest.Addr }) {
			t.Errorf("B submitted to %s, which A owns", sm.Dest.Addr)
		}
	}
	if n := len(b.submitted()); n != len(toB) {
		t.Errorf("B submitted %d, want %d", n, len(toB))
	}

	// Receipts come on the other instance's bind.
	for id, sm := range b.submitted() {
		sendReceipt(t, a, id, sm)
	}
	for id, sm := range a.submitted() {
		sendReceipt(t, b, id, sm)
	}
	awaitShared(t, "six IMDNs", func() bool { return len(core.reports()) == 6 })
	got := reportsByID(t, core)
	for _, id := range ids {
		if got[id] != 1 {
			t.Errorf("IMDNs for %s: %d, want 1", id, got[id])
		}
	}
	awaitShared(t, "letters handled", func() bool {
		return a.g.SharedStats().LettersHandled == 2 && b.g.SharedStats().LettersHandled == 8
	})
	sa, sb := a.g.SharedStats(), b.g.SharedStats()
	if sa.ReportsForwarded != 4 || sb.ReportsForwarded != 2 {
		t.Errorf("reports forwarded: A %d, B %d; want 4 and 2", sa.ReportsForwarded, sb.ReportsForwarded)
	}
	if sa.LettersSent != 4+4 || sb.LettersSent != 2 || sa.LettersBad+sb.LettersBad != 0 {
		t.Errorf("letters: A %+v, B %+v", sa, sb)
	}
	if st := a.g.Stats(); st.AcceptedCPM != 2 || st.Delivered != 2 {
		t.Errorf("A stats %+v", st)
	}
	if st := b.g.Stats(); st.AcceptedCPM != 4 || st.Delivered != 4 {
		t.Errorf("B stats %+v", st)
	}
	awaitShared(t, "letters done", func() bool { return cl.undone() == 0 })
}

// TestSharedHandoverAfterKill: B dies with messages awaiting receipts,
// messages being retried and letters it never read; once A owns B's
// partitions it completes all of them, submitting none twice.
func TestSharedHandoverAfterKill(t *testing.T) {
	const parts = 8
	cl := newFakeCluster(parts)
	ma, mb := cl.member("a"), cl.member("b")
	cl.assign(ownersOf(parts, ma, 0, 4, mb, 4, 8))
	core := startCPMCore(t)
	a, b := startNode(t, cl, ma, core), startNode(t, cl, mb, core)
	used := map[string]bool{}
	var ids []string
	send := func(to []string) {
		for _, r := range to {
			id := "handover-" + dest(r)
			ids = append(ids, id)
			if code := core.send(a.sipAddr(t), id, r, "text for "+r); code != 202 {
				t.Fatalf("MESSAGE to %s: %d", r, code)
			}
		}
	}

	// Submitted by B, awaiting receipts.
	send(append(recipientsIn(t, a.g, 4, 2, used), recipientsIn(t, a.g, 6, 1, used)...))
	awaitShared(t, "B awaiting three", func() bool { return b.g.Stats().AwaitingReceipts == 3 })
	// Refused for now by B's SMSC: queued and retried by B.
	b.smsc.Throttle(1)
	send(append(recipientsIn(t, a.g, 5, 2, used), recipientsIn(t, a.g, 7, 1, used)...))
	awaitShared(t, "B retrying", func() bool {
		return b.g.SharedStats().LettersHandled == 6 && b.smsc.ThrottledCount() >= 3 && b.g.Stats().Retries >= 3
	})
	b.kill(cl)
	// Accepted at A while B's partitions have no live owner: letters wait.
	send(recipientsIn(t, a.g, 6, 2, used))
	if n := cl.undone(); n != 2 {
		t.Fatalf("%d letters waiting, want 2", n)
	}
	cl.Rebalance(ownersOf(parts, ma, 0, 8))

	awaitShared(t, "five submits at A", func() bool { return len(a.submitted()) == 5 })
	subs := submitsByDest(a, b)
	if len(subs) != 8 {
		t.Errorf("%d recipients reached, want 8: %v", len(subs), subs)
	}
	for d, n := range subs {
		if n != 1 {
			t.Errorf("%s submitted %d times, want once", d, n)
		}
	}
	awaitShared(t, "A awaiting all", func() bool { return a.g.Stats().AwaitingReceipts == 5 })
	for _, n := range []*node{a, b} {
		for id, sm := range n.submitted() {
			sendReceipt(t, a, id, sm)
		}
	}
	awaitShared(t, "eight IMDNs", func() bool { return len(core.reports()) == 8 })
	got := reportsByID(t, core)
	for _, id := range ids {
		if got[id] != 1 {
			t.Errorf("IMDNs for %s: %d, want 1", id, got[id])
		}
	}
	if st := a.g.Stats(); st.Delivered != 8 || st.Failed != 0 || st.Expired != 0 {
		t.Errorf("A stats %+v", st)
	}
	if dead, err := a.g.DeadLetters(context.Background(), 0, 10); err != nil || len(dead) != 0 {
		t.Errorf("dead letters %v, %v", dead, err)
	}
	awaitShared(t, "letters done", func() bool { return cl.undone() == 0 })
}

// TestSharedPartitionsLostWhileRunning: A holds retrying work when half
// its partitions move to B; A drops that work quietly (no failure, no dead
// letter) and B delivers it, while A delivers what it kept. An attempt A
// had in flight at the handover may still reach the SMSC (at-least-once):
// at most one per SMS worker of A.
func TestSharedPartitionsLostWhileRunning(t *testing.T) {
	const parts, workers = 4, 4
	cl := newFakeCluster(parts)
	ma, mb := cl.member("a"), cl.member("b")
	cl.assign(ownersOf(parts, ma, 0, 4))
	core := startCPMCore(t)
	a, b := startNode(t, cl, ma, core), startNode(t, cl, mb, core)
	a.smsc.Throttle(1)
	used := map[string]bool{}
	kept, moved := map[string]bool{}, map[string]bool{}
	for p := range parts {
		for _, to := range recipientsIn(t, a.g, p, 2, used) {
			if p < 2 {
				kept[dest(to)] = true
			} else {
				moved[dest(to)] = true
			}
			if code := core.send(a.sipAddr(t), "lost-"+dest(to), to, "hi"); code != 202 {
				t.Fatalf("MESSAGE to %s: %d", to, code)
			}
		}
	}
	awaitShared(t, "A retrying all", func() bool { return a.g.Stats().Retries >= int64(len(used)) })
	cl.Rebalance(ownersOf(parts, ma, 0, 2, mb, 2, 4))
	awaitShared(t, "B submits the moved four", func() bool { return len(b.submitted()) == len(moved) })
	a.smsc.Throttle(0)
	awaitShared(t, "A submits the kept four", func() bool {
		n := 0
		for _, sm := range a.submitted() {
			if kept[sm.Dest.Addr] {
				n++
			}
		}
		return n == len(kept)
	})
	for d, n := range submitsByDest(b) {
		if n != 1 || !moved[d] {
			t.Errorf("B submitted to %s %d times; want once, and only the moved", d, n)
		}
	}
	late := 0
	for d, n := range submitsByDest(a) {
		switch {
		case kept[d] && n != 1:
			t.Errorf("A submitted to %s %d times, want once", d, n)
		case moved[d]:
			late += n
		}
	}
	if late > workers {
		t.Errorf("A submitted %d moved messages after the handover; at most %d were in flight", late, workers)
	}
	if sa := a.g.SharedStats(); sa.HandedOver == 0 {
		t.Errorf("A handed over nothing: %+v", sa)
	}
	for _, n := range []*node{a, b} {
		if st := n.g.Stats(); st.Failed != 0 || st.Expired != 0 {
			t.Errorf("%s stats %+v", n.name, st)
		}
		if dead, err := n.g.DeadLetters(context.Background(), 0, 10); err != nil || len(dead) != 0 {
			t.Errorf("%s dead letters %v, %v", n.name, dead, err)
		}
	}
}

// TestSharedMOReassembledAcrossInstances: the three segments of one MO SMS
// arrive one on each instance's bind and become one MESSAGE.
func TestSharedMOReassembledAcrossInstances(t *testing.T) {
	const parts = 8
	cl := newFakeCluster(parts)
	ma, mb, mc := cl.member("a"), cl.member("b"), cl.member("c")
	cl.assign(ownersOf(parts, ma, 0, 3, mb, 3, 6, mc, 6, 8))
	core := startCPMCore(t)
	nodes := []*node{startNode(t, cl, ma, core), startNode(t, cl, mb, core), startNode(t, cl, mc, core)}

	text := strings.Repeat("Fragments of one message meet at one owner. ", 10)[:400] // three GSM segments
	m := cpm.Message{Parts: []cpm.Part{{ContentType: "text/plain;charset=utf-8", Body: []byte(text)}}}
	segs, err := translate.SMSFromMessage(&m, translate.SMSRoute{
		Source: smpp.Address{Addr: "447700900123", TON: 1, NPI: 1}, Dest: smpp.Address{Addr: "447700900999", TON: 1, NPI: 1}, Reference: 77,
	})
	if err != nil || len(segs) != 3 {
		t.Fatalf("segments: %d, %v", len(segs), err)
	}
	_, to, err := nodes[0].g.moAddresses(&segs[0])
	if err != nil {
		t.Fatal(err)
	}
	owner := cl.owner[nodes[0].g.cluster.j.PartitionFor(nodes[0].g.canonicalAddress(string(to)))].name
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i, sm := range segs {
		if err := nodes[i].smsc.InjectMO(ctx, sm); err != nil {
			t.Fatalf("segment %d on %s: %v", i+1, nodes[i].name, err)
		}
	}
	awaitShared(t, "the MESSAGE", func() bool { return len(core.texts()) >= 1 })
	var accepted int64
	for _, n := range nodes {
		st := n.g.Stats()
		accepted += st.AcceptedSMS
		if st.AcceptedSMS == 1 && n.name != owner {
			t.Errorf("%s reassembled the message; the owner is %s", n.name, owner)
		}
	}
	if got := core.texts(); len(got) != 1 || got[0] != text || accepted != 1 {
		t.Fatalf("MESSAGEs %q, accepted %d; want one with the whole text", got, accepted)
	}
}

// TestSharedBadLetterDropped: an unreadable letter is logged, counted and
// done, and the owner goes on.
func TestSharedBadLetterDropped(t *testing.T) {
	cl := newFakeCluster(2)
	ma := cl.member("a")
	cl.assign(ownersOf(2, ma, 0, 2))
	core := startCPMCore(t)
	a := startNode(t, cl, ma, core)
	ctx := context.Background()
	bad := [][]byte{nil, {9}, {letterVersion, 99}, {letterVersion, byte(letterReceipt), 0}}
	for i, data := range bad {
		if err := ma.Send(ctx, i%2, data); err != nil {
			t.Fatal(err)
		}
	}
	awaitShared(t, "bad letters counted", func() bool { return a.g.SharedStats().LettersBad == int64(len(bad)) })
	awaitShared(t, "bad letters done", func() bool { return cl.undone() == 0 })
	to := recipientsIn(t, a.g, 1, 1, map[string]bool{})[0]
	if code := core.send(a.sipAddr(t), "after-bad", to, "still working"); code != 202 {
		t.Fatalf("MESSAGE: %d", code)
	}
	awaitShared(t, "submit", func() bool { return len(a.submitted()) == 1 })
}

// TestNotSharedHasNoCluster: a journal that is not shared leaves the
// gateway as it was (the rest of the suite runs on one).
func TestNotSharedHasNoCluster(t *testing.T) {
	h := newHarness(t)
	if h.g.cluster != nil || h.g.SharedStats().Shared {
		t.Fatal("a local journal was taken for a shared one")
	}
}

func letterSamples() []*letter {
	msg := &item{kind: kindMessage, route: "smsc1", received: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC),
		expiry: time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC), msg: textMessage("m-1", smsUser, "hello", cpm.PositiveDelivery)}
	frag := &item{kind: kindFragment, route: "smsc1", received: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC),
		fragment: smpp.ShortMessage{Source: smpp.Address{Addr: "447700900123", TON: 1, NPI: 1}, ESMClass: 0x40, Message: []byte{5, 0, 3, 7, 2, 1, 'h', 'i'}}}
	copy2 := *msg
	copy2.msg.To = "tel:+447700900124"
	return []*letter{
		{kind: letterCreate, create: creation{letterID: "l/x", once: "m/a/1", items: []*item{msg, &copy2}, refs: [][]string{{"m/a/1"}, nil}}},
		{kind: letterCreate, create: creation{letterID: "l/y", window: time.Minute, items: []*item{frag}, refs: [][]string{{"f/smsc1/1/2/7/2/1"}}}},
		{kind: letterReceipt, route: "smsc1", seq: 0x1234, id: "a001", status: cpm.Delivered, stat: "DELIVRD", errs: "000"},
		{kind: letterReport, route: "mm7", seq: 99, status: cpm.Failed, reason: "MM7 delivery report Rejected"},
		{kind: letterReadReply, route: "mm7", seq: 7, id: "relay-42"},
		{kind: letterReplay, route: "smsc1", seq: 9, id: "replay-7"},
	}
}

// TestLetterRoundTrip checks every field of every kind through encode and
// decode.
func TestLetterRoundTrip(t *testing.T) {
	for _, want := range letterSamples() {
		b, err := encodeLetter(want)
		if err != nil {
			t.Fatalf("%s: %v", want.kind, err)
		}
		got, err := decodeLetter(b)
		if err != nil {
			t.Fatalf("%s: decode: %v", want.kind, err)
		}
		if got.kind != want.kind || got.route != want.route || got.seq != want.seq || got.id != want.id ||
			got.status != want.status || got.stat != want.stat || got.errs != want.errs || got.reason != want.reason {
			t.Errorf("%s: got %+v, want %+v", want.kind, got, want)
		}
		gc, wc := got.create, want.create
		if gc.letterID != wc.letterID || gc.once != wc.once || gc.window != wc.window || len(gc.items) != len(wc.items) {
			t.Fatalf("%s: creation %+v, want %+v", want.kind, gc, wc)
		}
		for i := range wc.items {
			if !bytes.Equal(gc.items[i].marshal(), wc.items[i].marshal()) {
				t.Errorf("%s: item %d differs", want.kind, i)
			}
			if i < len(wc.refs) && !slices.Equal(gc.refs[i], wc.refs[i]) {
				t.Errorf("%s: refs %d = %q, want %q", want.kind, i, gc.refs[i], wc.refs[i])
			}
		}
		if _, err := decodeLetter(append(b, 0)); !errors.Is(err, errBadLetter) {
			t.Errorf("%s: trailing byte: %v", want.kind, err)
		}
		for n := range b {
			if _, err := decodeLetter(b[:n]); !errors.Is(err, errBadLetter) {
				t.Fatalf("%s: truncated to %d: %v", want.kind, n, err)
			}
		}
	}
	big := &letter{kind: letterCreate, create: creation{items: make([]*item, maxLetterItems+1)}}
	if _, err := encodeLetter(big); !errors.Is(err, errBadLetter) {
		t.Errorf("too many items: %v", err)
	}
}

// TestLetterOfBuiltEntries: a creation that carries the entries its source
// built is sent as the same bytes as one encoded from its items, a body
// given as an entry's Tail included; and its entries are those items'
// entries with the creation's refs.
func TestLetterOfBuiltEntries(t *testing.T) {
	samples := letterSamples()
	for _, l := range samples[:2] {
		big := *samples[0].create.items[0]
		big.msg.Parts = append(slices.Clone(big.msg.Parts), cpm.Part{ContentType: "image/jpeg", Body: bytes.Repeat([]byte("file"), tailBody/4)})
		c := l.create
		c.items = append([]*item{&big}, c.items...)
		c.refs = append([][]string{{"k"}}, c.refs...)
		want, err := encodeLetter(&letter{kind: letterCreate, create: c})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range c.items {
			c.entries = append(c.entries, entryOf(it, journal.Open, "probe"))
		}
		if c.entries[0].Tail == nil {
			t.Fatal("no Tail in the entry of a large body")
		}
		got, err := encodeLetter(&letter{kind: letterCreate, create: c})
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: letter from the entries differs (%v)", c.letterID, err)
		}
		entries := creationEntries(&c)
		c.entries = nil
		for i, e := range creationEntries(&c) {
			if !bytes.Equal(entries[i].Payload(), e.Payload()) || !slices.Equal(entries[i].Refs, e.Refs) ||
				entries[i].Kind != e.Kind || !entries[i].Time.Equal(e.Time) || entries[i].State != e.State {
				t.Errorf("%s: entry %d differs", c.letterID, i)
			}
		}
	}
}

// FuzzLetter: whatever decodes re-encodes to bytes that decode to the
// same letter.
func FuzzLetter(f *testing.F) {
	for _, l := range letterSamples() {
		b, err := encodeLetter(l)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{letterVersion, byte(letterCreate), 0, 0, 0, 1, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := decodeLetter(b)
		if err != nil {
			if !errors.Is(err, errBadLetter) {
				t.Fatalf("error %v does not wrap errBadLetter", err)
			}
			return
		}
		b2, err := encodeLetter(l)
		if err != nil {
			t.Fatalf("decoded letter does not encode: %v", err)
		}
		l2, err := decodeLetter(b2)
		if err != nil {
			t.Fatalf("re-encoded letter does not decode: %v", err)
		}
		b3, err := encodeLetter(l2)
		if err != nil || !bytes.Equal(b2, b3) {
			t.Fatalf("not stable: %x vs %x (%v)", b2, b3, err)
		}
	})
}

// TestSharedBurstToOneRecipient: a burst of MESSAGEs to one recipient,
// each sent twice at once, accepted at A while B owns the recipient's
// partition: the letters that queue up at B are written together, and
// B submits every message exactly once.
func TestSharedBurstToOneRecipient(t *testing.T) {
	const parts, n = 8, 120
	cl := newFakeCluster(parts)
	ma, mb := cl.member("a"), cl.member("b")
	cl.assign(ownersOf(parts, ma, 0, 4, mb, 4, 8))
	core := startCPMCore(t)
	a, b := startNode(t, cl, ma, core), startNode(t, cl, mb, core)
	to := recipientsIn(t, a.g, 6, 1, map[string]bool{})[0]

	var wg sync.WaitGroup
	var refused atomic.Int64
	for i := range n {
		for range 2 {
			wg.Go(func() {
				id := fmt.Sprintf("burst-%d", i)
				if code := core.send(a.sipAddr(t), id, to, "burst "+id); code != 202 {
					refused.Add(1)
				}
			})
		}
	}
	wg.Wait()
	if refused.Load() != 0 {
		t.Fatalf("%d MESSAGEs refused", refused.Load())
	}
	awaitShared(t, "every burst message at the SMSC", func() bool { return len(b.submitted()) >= n })
	awaitShared(t, "letters done", func() bool { return cl.undone() == 0 })
	texts := map[string]int{}
	for _, sm := range b.submitted() {
		texts[string(sm.Message)]++
	}
	for i := range n {
		if c := texts[fmt.Sprintf("burst burst-%d", i)]; c != 1 {
			t.Errorf("burst-%d submitted %d times, want once", i, c)
		}
	}
	if len(a.submitted()) != 0 || len(b.submitted()) != n {
		t.Errorf("A submitted %d, B %d; want 0 and %d", len(a.submitted()), len(b.submitted()), n)
	}
}

// TestSharedReplayFromAnyInstance: an operator replays, through A, a
// message B owns: A hands the replay to B, which sends it again; a replay
// through B is made there.
func TestSharedReplayFromAnyInstance(t *testing.T) {
	const parts = 8
	ctx := context.Background()
	cl := newFakeCluster(parts)
	ma, mb := cl.member("a"), cl.member("b")
	cl.assign(ownersOf(parts, ma, 0, 4, mb, 4, 8))
	core := startCPMCore(t)
	a, b := startNode(t, cl, ma, core), startNode(t, cl, mb, core)
	to := recipientsIn(t, a.g, 6, 1, map[string]bool{})[0]
	if code := core.send(a.sipAddr(t), "orig-1", to, "replay me"); code != 202 {
		t.Fatalf("MESSAGE: %d", code)
	}
	awaitShared(t, "the original at the SMSC", func() bool { return len(b.submitted()) == 1 })
	var seq uint64
	awaitShared(t, "the entry at B", func() bool {
		views, err := b.g.Entries(ctx, journal.Open, 0, 10)
		if err != nil || len(views) != 1 {
			return false
		}
		seq = views[0].Seq
		return true
	})
	out, err := a.g.Replay(ctx, []uint64{seq}, "")
	if err != nil || len(out) != 1 || out[0] != 0 {
		t.Fatalf("Replay through A: %v, %v; want [0] (handed to B)", out, err)
	}
	awaitShared(t, "the replay through A at the SMSC", func() bool { return len(b.submitted()) == 2 })
	out, err = b.g.Replay(ctx, []uint64{seq}, "")
	if err != nil || len(out) != 1 || out[0] == 0 {
		t.Fatalf("Replay through B: %v, %v; want the new entry", out, err)
	}
	awaitShared(t, "the replay through B at the SMSC", func() bool { return len(b.submitted()) == 3 })
	awaitShared(t, "letters done", func() bool { return cl.undone() == 0 })
	if n := len(a.submitted()); n != 0 {
		t.Errorf("A submitted %d; B owns the recipient", n)
	}
	for _, sm := range b.submitted() {
		if string(sm.Message) != "replay me" {
			t.Errorf("submitted %q", sm.Message)
		}
	}
}
