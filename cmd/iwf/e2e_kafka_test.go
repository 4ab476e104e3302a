package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/iwf-gateway/iwf/sim/smsc"
)

// TestE2EKafkaJournalSIGKILL runs iwf on the Kafka journal (a three-broker
// kfake cluster in this process, over TCP), kills it under SMS load and
// starts it again: every MESSAGE that got a 202 reaches the SMSC.
func TestE2EKafkaJournalSIGKILL(t *testing.T) {
	requireTool(t, "sipp", "sip-tester")
	cluster, err := kfake.NewCluster(kfake.NumBrokers(3), kfake.GroupMinSessionTimeout(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	brokers := `"` + strings.Join(cluster.ListenAddrs(), `", "`) + `"`
	e := newE2E(t, e2eOptions{smsc: smsc.Config{}, extra: fmt.Sprintf(`journal:
  backend: kafka
  kafka:
    brokers: [%s]
    topic_prefix: e2e
    partitions: 6
    replication: 3
    group: e2e
    session_timeout: 2s
    heartbeat_interval: 200ms
    commit_interval: 200ms
    fetch_max_wait: 100ms
`, brokers)})
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
