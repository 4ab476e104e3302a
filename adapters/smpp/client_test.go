package smpp_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/adapters/smpp"
	"github.com/iwf-gateway/iwf/adapters/smpp/pdu"
	"github.com/iwf-gateway/iwf/internal/leakcheck"
	"github.com/iwf-gateway/iwf/sim/smsc"
)

// eventually polls cond for up to 10s; it bounds waits, it does not time
// behaviour.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 2000; i++ {
		if cond() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// checkLeaks fails when goroutines started during the test outlive it.
func checkLeaks(t *testing.T) { leakcheck.Check(t) }

type harness struct {
	sim    *smsc.SMSC
	client *smpp.Client
	runErr chan error
}

func start(t *testing.T, simCfg smsc.Config, cfg smpp.Config, deliver smpp.DeliverFunc) *harness {
	t.Helper()
	sim := smsc.New(simCfg, nil)
	if err := sim.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	cfg.Address = sim.Addr()
	if cfg.SystemID == "" {
		cfg.SystemID, cfg.Password = "esme", "secret"
	}
	if cfg.ReconnectMin == 0 {
		cfg.ReconnectMin, cfg.ReconnectMax = 10*time.Millisecond, 50*time.Millisecond
	}
	c, err := smpp.NewClient(cfg, nil, deliver)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{sim: sim, client: c, runErr: make(chan error, 1)}
	go func() { h.runErr <- c.Run(context.Background()) }()
	t.Cleanup(func() {
		c.Close()
		<-h.runErr
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.WaitReady(ctx); err != nil {
		t.Fatalf("not ready: %v", err)
	}
	return h
}

func msg(text string) *smpp.ShortMessage {
	return &smpp.ShortMessage{
		Source:  smpp.Address{Addr: "40404", TON: 3, NPI: 0},
		Dest:    smpp.Address{Addr: "447700900123", TON: 1, NPI: 1},
		Message: []byte(text),
	}
}

func TestSubmitTransceiver(t *testing.T) {
	checkLeaks(t)
	var mu sync.Mutex
	ids := map[string]string{}
	h := start(t, smsc.Config{SystemID: "esme", Password: "secret", KeepSubmitted: true,
		OnSubmit: func(sm smpp.ShortMessage, id string) { mu.Lock(); ids[id] = string(sm.Message); mu.Unlock() }},
		smpp.Config{}, nil)
	sm := msg("hello")
	sm.Validity = 26 * time.Hour
	sm.TLVs = []smpp.TLV{{Tag: smpp.TagSARMsgRefNum, Value: []byte{0, 7}}}
	id, err := h.client.Submit(context.Background(), sm)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	got := ids[id]
	mu.Unlock()
	if got != "hello" {
		t.Fatalf("id %q maps to %q at the SMSC", id, got)
	}
	kept := h.sim.Submitted()
	if len(kept) != 1 || kept[0].Dest != sm.Dest || kept[0].Validity != sm.Validity ||
		len(kept[0].TLVs) != 1 || !bytes.Equal(kept[0].TLVs[0].Value, []byte{0, 7}) {
		t.Fatalf("SMSC got %+v", kept)
	}
	st := h.client.Status()
	if len(st) != 1 || st[0].State != "bound" || st[0].Mode != "transceiver" || st[0].Submits != 1 {
		t.Fatalf("status %+v", st)
	}
}

func TestTransmitterReceiverAndDeliver(t *testing.T) {
	checkLeaks(t)
	got := make(chan *smpp.ShortMessage, 1)
	h := start(t, smsc.Config{}, smpp.Config{Bind: smpp.BindTransmitterReceiver},
		func(ctx context.Context, sm *smpp.ShortMessage) error { got <- sm; return nil })
	eventually(t, "receiver bound", func() bool { rx, _ := h.sim.Bound(); return rx == 1 })
	st := h.client.Status()
	if len(st) != 2 || st[0].Mode != "transmitter" || st[1].Mode != "receiver" {
		t.Fatalf("status %+v", st)
	}
	if _, err := h.client.Submit(context.Background(), msg("up")); err != nil {
		t.Fatal(err)
	}
	mo := *msg("MO text")
	mo.DataCoding = 3
	if err := h.sim.InjectMO(context.Background(), mo); err != nil {
		t.Fatal(err)
	}
	sm := <-got
	if string(sm.Message) != "MO text" || sm.DataCoding != 3 || sm.Source.Addr != "40404" {
		t.Fatalf("delivered %+v", sm)
	}
}

func TestDeliverAnsweredAfterDeliverFunc(t *testing.T) {
	checkLeaks(t)
	release := make(chan error)
	entered := make(chan struct{}, 1)
	h := start(t, smsc.Config{}, smpp.Config{}, func(ctx context.Context, sm *smpp.ShortMessage) error {
		entered <- struct{}{}
		return <-release
	})
	done := make(chan error, 1)
	go func() { done <- h.sim.InjectMO(context.Background(), *msg("one")) }()
	<-entered
	select {
	case err := <-done:
		t.Fatalf("deliver_sm answered (%v) before DeliverFunc returned", err)
	default:
	}
	release <- nil
	if err := <-done; err != nil {
		t.Fatalf("InjectMO = %v", err)
	}
	go func() { done <- h.sim.InjectMO(context.Background(), *msg("two")) }()
	<-entered
	release <- errors.New("journal full")
	var se *smpp.StatusError
	if err := <-done; !errors.As(err, &se) || se.Status != pdu.StatusRxTAppn {
		t.Fatalf("InjectMO = %v, want ESME_RX_T_APPN", err)
	}
	go func() { done <- h.sim.InjectMO(context.Background(), *msg("three")) }()
	<-entered
	release <- &smpp.StatusError{Status: pdu.StatusRxPAppn}
	if err := <-done; !errors.As(err, &se) || se.Status != pdu.StatusRxPAppn {
		t.Fatalf("InjectMO = %v, want ESME_RX_P_APPN", err)
	}
}

func TestDeliveryReceipt(t *testing.T) {
	checkLeaks(t)
	got := make(chan *smpp.ShortMessage, 1)
	h := start(t, smsc.Config{}, smpp.Config{}, func(ctx context.Context, sm *smpp.ShortMessage) error {
		got <- sm
		return nil
	})
	sm := msg("receipt please")
	sm.RegisteredDelivery = 1
	id, err := h.client.Submit(context.Background(), sm)
	if err != nil {
		t.Fatal(err)
	}
	r := <-got
	rid, _ := r.TLV(smpp.TagReceiptedMessageID)
	state, _ := r.TLV(smpp.TagMessageState)
	if r.ESMClass != smpp.ESMClassDeliveryReceipt || string(rid) != id+"\x00" || !bytes.Equal(state, []byte{2}) ||
		!bytes.HasPrefix(r.Message, []byte("id:"+id+" sub:001 dlvrd:001 submit date:")) ||
		!bytes.Contains(r.Message, []byte(" stat:DELIVRD err:000 text:receipt please")) {
		t.Fatalf("receipt %+v %q", r, r.Message)
	}
}

func TestThrottledPausesAndIsTemporary(t *testing.T) {
	checkLeaks(t)
	h := start(t, smsc.Config{}, smpp.Config{ThrottlePause: 50 * time.Millisecond}, nil)
	h.sim.Throttle(1)
	// A throttled submit is temporary; while throttling is scattered it is
	// retried soon and the bind does not pause.
	_, err := h.client.Submit(context.Background(), msg("x"))
	var se *smpp.StatusError
	if !errors.As(err, &se) || se.Status != pdu.StatusThrottled || !smpp.IsTemporary(err) || se.RetryAfter() != 5*time.Millisecond {
		t.Fatalf("first throttled Submit = %v (retry after %v)", err, se.RetryAfter())
	}
	if err.Error() != "smpp: submit_sm: ESME_RTHROTTLED (0x00000058)" {
		t.Fatalf("text %q", err)
	}
	// Once most submits are throttled, the bind pauses for ThrottlePause.
	paused := false
	for i := 0; i < 40 && !paused; i++ {
		_, err = h.client.Submit(context.Background(), msg("x"))
		paused = errors.As(err, &se) && se.RetryAfter() == 50*time.Millisecond
	}
	if !paused {
		t.Fatalf("bind never paused while every submit was throttled: %v", err)
	}
	h.sim.Throttle(0)
	begin := time.Now()
	if _, err := h.client.Submit(context.Background(), msg("y")); err != nil {
		t.Fatal(err)
	}
	// The pause is a lower bound the limiter guarantees, never flaky.
	if time.Since(begin) < 40*time.Millisecond {
		t.Fatalf("bind did not pause after sustained ESME_RTHROTTLED")
	}
	if st := h.client.Status()[0]; st.Submits != 1 || st.Errors < 10 {
		t.Fatalf("status %+v", st)
	}
}

func TestScatteredThrottlingDoesNotPause(t *testing.T) {
	checkLeaks(t)
	h := start(t, smsc.Config{}, smpp.Config{ThrottlePause: time.Hour}, nil)
	h.sim.Throttle(0.05)
	for i := 0; i < 200; i++ {
		_, err := h.client.Submit(context.Background(), msg("x"))
		var se *smpp.StatusError
		if errors.As(err, &se) && se.RetryAfter() == time.Hour {
			t.Fatalf("submit %d: bind paused although only 5%% of submits are throttled", i)
		}
	}
	if h.sim.ThrottledCount() == 0 {
		t.Fatal("the simulator throttled nothing")
	}
}

func TestWindowFullWaits(t *testing.T) {
	checkLeaks(t)
	h := start(t, smsc.Config{}, smpp.Config{Window: 2}, nil)
	h.sim.SetDelay(20 * time.Millisecond)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	var maxWin int
	var mu sync.Mutex
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := h.client.Submit(context.Background(), msg("w"))
			errs <- err
			mu.Lock()
			maxWin = max(maxWin, h.client.Status()[0].WindowInUse)
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Submit with a full window = %v, want it to wait", err)
		}
	}
	if maxWin > 2 || h.sim.SubmitCount() != 20 {
		t.Fatalf("window in use reached %d, SMSC counted %d", maxWin, h.sim.SubmitCount())
	}
}

func TestRateCap(t *testing.T) {
	checkLeaks(t)
	h := start(t, smsc.Config{}, smpp.Config{MaxRate: 100}, nil)
	begin := time.Now()
	for i := 0; i < 11; i++ {
		if _, err := h.client.Submit(context.Background(), msg("r")); err != nil {
			t.Fatal(err)
		}
	}
	// 11 submits at 100/s need at least 100ms: a guaranteed lower bound.
	if el := time.Since(begin); el < 100*time.Millisecond {
		t.Fatalf("11 submits took %v under a 100/s cap", el)
	}
}

func TestDropMidWindowAndReconnect(t *testing.T) {
	checkLeaks(t)
	h := start(t, smsc.Config{}, smpp.Config{Window: 10}, nil)
	h.sim.SetDelay(200 * time.Millisecond)
	h.sim.DropAfter(5)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := h.client.Submit(context.Background(), msg("d"))
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if err != nil {
			failed++
			if !smpp.IsTemporary(err) {
				t.Fatalf("lost connection gave a permanent error: %v", err)
			}
		}
	}
	if failed == 0 {
		t.Fatal("no submit failed although the SMSC dropped the connection")
	}
	h.sim.DropAfter(0)
	h.sim.SetDelay(0)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	eventually(t, "rebind", func() bool { return h.client.Ready() })
	if _, err := h.client.Submit(ctx, msg("after")); err != nil {
		t.Fatalf("after reconnect: %v", err)
	}
}

func TestRefusedBindRetried(t *testing.T) {
	checkLeaks(t)
	h := start(t, smsc.Config{}, smpp.Config{EnquireLink: 20 * time.Millisecond}, nil)
	eventually(t, "enquire_link", func() bool { return h.sim.Received(pdu.EnquireLink) >= 2 })
	h.sim.RefuseBinds(true)
	h.sim.DropAfter(1)
	_, err := h.client.Submit(context.Background(), msg("drop"))
	if !smpp.IsTemporary(err) {
		t.Fatalf("Submit on dropped connection = %v", err)
	}
	h.sim.DropAfter(0)
	eventually(t, "refused rebinds", func() bool { return h.sim.Received(pdu.BindTransceiver) >= 3 })
	if h.client.Ready() {
		t.Fatal("ready although binds are refused")
	}
	if _, err := h.client.Submit(context.Background(), msg("x")); !errors.Is(err, smpp.ErrNotBound) || !smpp.IsTemporary(err) {
		t.Fatalf("Submit while unbound = %v", err)
	}
	h.sim.RefuseBinds(false)
	eventually(t, "rebind", func() bool { return h.client.Ready() })
}

func TestMalformedPDUGetsGenericNack(t *testing.T) {
	checkLeaks(t)
	h := start(t, smsc.Config{}, smpp.Config{}, func(context.Context, *smpp.ShortMessage) error { return nil })
	// unknown command_id
	if err := h.sim.SendRaw([]byte{0, 0, 0, 16, 0, 0, 0, 0x77, 0, 0, 0, 0, 0, 0, 0, 9}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "generic_nack", func() bool { return h.sim.LastGenericNack() == int64(pdu.StatusInvCmdID) })
	// deliver_sm whose service_type has no NUL
	if err := h.sim.SendRaw([]byte{0, 0, 0, 19, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 10, 'a', 'b', 'c'}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "generic_nack", func() bool { return h.sim.LastGenericNack() == int64(pdu.StatusInvCmdLen) })
	if _, err := h.client.Submit(context.Background(), msg("still here")); err != nil {
		t.Fatalf("session did not survive: %v", err)
	}
	if err := h.sim.InjectMO(context.Background(), *msg("mo")); err != nil {
		t.Fatalf("session did not survive: %v", err)
	}
}

func TestShutdownUnbindsAndWaits(t *testing.T) {
	checkLeaks(t)
	h := start(t, smsc.Config{}, smpp.Config{}, nil)
	h.sim.SetDelay(100 * time.Millisecond)
	res := make(chan error, 1)
	go func() { _, err := h.client.Submit(context.Background(), msg("in flight")); res <- err }()
	eventually(t, "submit in flight", func() bool { return h.client.Status()[0].WindowInUse == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.client.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-res; err != nil {
		t.Fatalf("in-flight submit during Shutdown = %v", err)
	}
	if h.sim.Received(pdu.Unbind) != 1 {
		t.Fatalf("SMSC saw %d unbind", h.sim.Received(pdu.Unbind))
	}
	if err := <-h.runErr; err != nil {
		t.Fatalf("Run = %v", err)
	}
	h.runErr <- nil // for the cleanup
	if _, err := h.client.Submit(context.Background(), msg("late")); !errors.Is(err, smpp.ErrClosed) {
		t.Fatalf("Submit after Shutdown = %v", err)
	}
	if err := h.client.Shutdown(ctx); err != nil {
		t.Fatalf("second Shutdown = %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	bad := smpp.Config{Address: "x:1", SystemID: "this-system-id-is-too-long", Bind: "both", Window: -1}
	err := bad.Validate()
	if err == nil {
		t.Fatal("invalid config accepted")
	}
	good := smpp.Config{Address: "x:1", SystemID: "esme"}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	d := good.WithDefaults()
	if d.Window != 64 || d.Binds != 1 || d.Bind != smpp.BindTransceiver || d.ResponseTimeout != 10*time.Second {
		t.Fatalf("defaults %+v", d)
	}
}
