package main

import (
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/sim/smsc"
)

// TestE2EKafkaJournalSIGKILL runs iwf on the Kafka journal (a three-broker
// kfake cluster in this process, over TCP), kills it under SMS load and
// starts it again: every MESSAGE that got a 202 reaches the SMSC.
func TestE2EKafkaJournalSIGKILL(t *testing.T) {
	requireTool(t, "sipp", "sip-tester")
	cluster := newKafkaCluster(t)
	e := newE2E(t, e2eOptions{smsc: smsc.Config{}, extra: kafkaJournalYAML(cluster, "e2e")})
	res := make(chan map[int]bool, 1)
	go func() { res <- e.loadRun(600, 150) }()
	time.Sleep(1500 * time.Millisecond)
	e.kill9()
	killedAt := e.smsc.SubmitCount()
	e.start()
	accepted := <-res
	if len(accepted) < 100 {
		t.Fatalf("only %d MESSAGEs accepted", len(accepted))
	}
	repeats := e.checkDelivered(accepted, 90*time.Second)
	t.Logf("Kafka journal: %d of 600 accepted across a SIGKILL (at %d submits); all reached the SMSC; %d repeats", len(accepted), killedAt, repeats)
}
