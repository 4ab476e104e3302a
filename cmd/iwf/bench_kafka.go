package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
)

// benchKafka is the Kafka cluster that `iwf bench sms --journal kafka`
// journals to: three brokers of github.com/twmb/franz-go/pkg/kfake in the
// bench process, on 127.0.0.1, for the run; or the cluster of --brokers.
// Each run has a topic prefix and a consumer group of its own, so runs on
// one cluster never see each other's records.
type benchKafka struct {
	fake        *kfake.Cluster // nil with --brokers
	brokers     []string
	name        string // the topic prefix and the consumer group: bench-<random>
	partitions  int
	replication int // min(3, brokers in the cluster)
	transport   *kafka.Transport
}

// Group timings of the instances: a heartbeat often enough that a joining
// instance gets its partitions within a second or so, and a session
// timeout real brokers accept (group.min.session.timeout.ms is 6 s by
// default).
const (
	benchKafkaSession   = 6 * time.Second
	benchKafkaHeartbeat = 500 * time.Millisecond
	benchKafkaCommit    = time.Second
)

// startBenchKafka starts the in-process cluster when brokers is empty and
// finds out how many brokers the cluster has.
func startBenchKafka(ctx context.Context, brokers []string, partitions int) (*benchKafka, error) {
	k := &benchKafka{brokers: brokers, name: "bench-" + strings.ToLower(rand.Text()[:10]), partitions: partitions,
		transport: &kafka.Transport{ClientID: "iwf-bench"}}
	if len(brokers) == 0 {
		c, err := kfake.NewCluster(kfake.NumBrokers(3), kfake.GroupMinSessionTimeout(100*time.Millisecond))
		if err != nil {
			return nil, fmt.Errorf("bench: starting the in-process Kafka cluster: %w", err)
		}
		k.fake, k.brokers = c, c.ListenAddrs()
	}
	mctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	md, err := k.client().Metadata(mctx, &kafka.MetadataRequest{Topics: []string{}})
	if err != nil {
		k.close()
		return nil, fmt.Errorf("bench: kafka brokers %v: %w", k.brokers, err)
	}
	k.replication = min(3, max(1, len(md.Brokers)))
	return k, nil
}

func (k *benchKafka) client() *kafka.Client {
	return &kafka.Client{Addr: kafka.TCP(k.brokers...), Timeout: 5 * time.Second, Transport: k.transport}
}

// close stops the in-process cluster, if any; the topics of a run on
// --brokers stay (they are the run's record, and retention ends them).
func (k *benchKafka) close() {
	k.transport.CloseIdleConnections()
	if k.fake != nil {
		k.fake.Close()
	}
}

// where says what the cluster is, for the report.
func (k *benchKafka) where() string {
	if k.fake != nil {
		return fmt.Sprintf("in-process (kfake), %d brokers on 127.0.0.1, in memory", len(k.brokers))
	}
	return strings.Join(k.brokers, ",")
}

// clientID names instance i (from 0) to the brokers, so the group's
// assignment says which instance owns what.
func (k *benchKafka) clientID(i int) string { return fmt.Sprintf("%s-%d", k.name, i+1) }

// journalYAML is the journal section of instance i: every instance has
// the same topics and group.
func (k *benchKafka) journalYAML(i int) string {
	return fmt.Sprintf(`journal:
  backend: kafka
  kafka:
    brokers: ["%s"]
    topic_prefix: %s
    partitions: %d
    replication: %d
    group: %s
    client_id: %s
    session_timeout: %s
    heartbeat_interval: %s
    commit_interval: %s
`, strings.Join(k.brokers, `", "`), k.name, k.partitions, k.replication, k.name, k.clientID(i),
		benchKafkaSession, benchKafkaHeartbeat, benchKafkaCommit)
}

// awaitSpread polls the consumer group until it is stable with each of
// the instances owning some of the journal topic's partitions and all of
// them owned, and returns the partitions of each instance.
func (k *benchKafka) awaitSpread(ctx context.Context, instances int) ([][]int, error) {
	client := k.client()
	var seen string
	for {
		owned, state, err := k.assignment(ctx, client, instances)
		if err == nil && state == "Stable" && k.spread(owned) {
			return owned, nil
		}
		if err != nil {
			seen = err.Error()
		} else {
			seen = fmt.Sprintf("state %s, partitions by instance %v", state, owned)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("bench: consumer group %s did not spread %d partitions over %d instances (%s): %w",
				k.name, k.partitions, instances, seen, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// spread reports whether every instance owns a partition and every
// partition is owned once.
func (k *benchKafka) spread(owned [][]int) bool {
	all := 0
	for _, ps := range owned {
		if len(ps) == 0 {
			return false
		}
		all += len(ps)
	}
	return all == k.partitions
}

// assignment asks the group's coordinator which journal partitions each
// instance owns.
func (k *benchKafka) assignment(ctx context.Context, client *kafka.Client, instances int) ([][]int, string, error) {
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	fc, err := client.FindCoordinator(rctx, &kafka.FindCoordinatorRequest{Key: k.name, KeyType: kafka.CoordinatorKeyTypeConsumer})
	if err != nil {
		return nil, "", err
	}
	if fc.Error != nil {
		return nil, "", fc.Error
	}
	coordinator := net.JoinHostPort(fc.Coordinator.Host, strconv.Itoa(fc.Coordinator.Port))
	resp, err := client.DescribeGroups(rctx, &kafka.DescribeGroupsRequest{Addr: kafka.TCP(coordinator), GroupIDs: []string{k.name}})
	if err != nil {
		return nil, "", err
	}
	if len(resp.Groups) != 1 {
		return nil, "", errors.New("no group description")
	}
	g := resp.Groups[0]
	if g.Error != nil {
		return nil, "", g.Error
	}
	owned := make([][]int, instances)
	for _, m := range g.Members {
		i := -1
		for j := range instances {
			if m.ClientID == k.clientID(j) {
				i = j
			}
		}
		if i < 0 {
			return nil, "", fmt.Errorf("a member of the group is no instance of this run: %q", m.ClientID)
		}
		for _, t := range m.MemberAssignments.Topics {
			if t.Topic == k.name+".journal" {
				owned[i] = append(owned[i], t.Partitions...)
			}
		}
		slices.Sort(owned[i])
	}
	return owned, g.GroupState, nil
}

// kafkaReport is what `iwf bench sms --journal kafka` saw of the cluster
// and of each instance.
type kafkaReport struct {
	Where                   string // the brokers
	Name                    string // the topic prefix and group
	Partitions, Replication int
	Recipients              int
	Instances               []instanceReport
	BenchCPU                time.Duration // this process over the load: load generator, SMSC and in-process brokers
}

// instanceReport is one iwf instance of a run on the Kafka journal.
type instanceReport struct {
	Load       targetStats // its share of the MESSAGEs
	Partitions []int       // the journal partitions it owned when the load began
	CPU        time.Duration
	PeakRSS    int64
	Metrics    map[string]int64 // its counters at the end, from /metrics
}

// instanceMetrics are the counters of an instance's /metrics the report
// shows, with their labels as written there.
var instanceMetrics = []string{
	`iwf_messages_accepted_total{network="cpm"}`,
	"iwf_sms_segments_submitted_total",
	"iwf_journal_errors_total",
	"iwf_overloaded_total",
	"iwf_receipts_total",
	"iwf_receipts_uncorrelated_total",
	"iwf_letters_sent_total",
	"iwf_letters_handled_total",
	"iwf_reports_forwarded_total",
}

// scrapeMetrics reads the counters of instanceMetrics from the console at
// addr.
func scrapeMetrics(ctx context.Context, addr string) (map[string]int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+benchConsoleToken)
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("bench: metrics of %s: %w", addr, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("bench: metrics of %s: %s", addr, resp.Status)
	}
	out := map[string]int64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok || !slices.Contains(instanceMetrics, name) {
			continue
		}
		if v, err := strconv.ParseInt(value, 10, 64); err == nil {
			out[name] = v
		}
	}
	return out, sc.Err()
}

// print writes the lines on the cluster and the instances.
func (k *kafkaReport) print(b *strings.Builder, acceptedAll int, usage iwfUsage) {
	fmt.Fprintf(b, "kafka        %s; topics %s.*, %d partitions, replication %d; %d instance(s) in group %s; %d recipient(s)\n",
		k.Where, k.Name, k.Partitions, k.Replication, len(k.Instances), k.Name, k.Recipients)
	for i, in := range k.Instances {
		l, m := in.Load, in.Metrics
		fmt.Fprintf(b, "instance %-3d %d sent, %d accepted, %d refused, %d unanswered   p50 %.1f ms   p99 %.1f ms   max %.0f ms\n",
			i+1, l.Sent, l.Accepted, l.Refused, l.Unanswered, ms(l.P50), ms(l.P99), ms(l.Max))
		fmt.Fprintf(b, "             partitions %v   CPU %.1f s   peak RSS %d MB   journaled %d, submitted %d, journal errors %d, overloaded %d, receipts %d (%d uncorrelated), letters sent %d, handled %d\n",
			in.Partitions, in.CPU.Seconds(), in.PeakRSS>>20, m[instanceMetrics[0]], m[instanceMetrics[1]],
			m[instanceMetrics[2]], m[instanceMetrics[3]], m[instanceMetrics[4]], m[instanceMetrics[5]], m[instanceMetrics[6]], m[instanceMetrics[7]])
	}
	if len(k.Instances) > 1 {
		fmt.Fprintf(b, "             (iwf's CPU above is summed over the %d instances, its peak RSS the largest instance's)\n", len(k.Instances))
	}
	perMsg := func(d time.Duration) float64 { return ms(d) / float64(max(1, acceptedAll)) }
	fmt.Fprintf(b, "machine      iwf %.3f ms/msg + this process (load, SMSC, %s) %.3f ms/msg = %.3f ms CPU per message (%.1f s over %.1f s)\n",
		perMsg(usage.LoadCPU), k.brokerNote(), perMsg(k.BenchCPU), perMsg(usage.LoadCPU+k.BenchCPU),
		(usage.LoadCPU + k.BenchCPU).Seconds(), usage.Wall.Seconds())
}

func (k *kafkaReport) brokerNote() string {
	if strings.HasPrefix(k.Where, "in-process") {
		return "brokers"
	}
	return "no brokers"
}

// kafkaReport is the cluster and each instance as the load left them;
// usage is each instance's over the load, benchCPU this process's.
func (r *benchRun) kafkaReport(ctx context.Context, usage []iwfUsage, benchCPU time.Duration) *kafkaReport {
	k := &kafkaReport{Where: r.kafka.where(), Name: r.kafka.name, Partitions: r.kafka.partitions,
		Replication: r.kafka.replication, Recipients: r.o.Recipients, BenchCPU: benchCPU}
	for i, u := range usage {
		in := instanceReport{CPU: u.LoadCPU, PeakRSS: u.PeakRSS}
		if i < len(r.owned) {
			in.Partitions = r.owned[i]
		}
		if per := r.res.Load.PerTarget; i < len(per) {
			in.Load = per[i]
		} else {
			l := r.res.Load
			in.Load = targetStats{Sent: l.Sent, Accepted: l.Accepted, Unanswered: l.Unanswered, P50: l.P50, P99: l.P99, Max: l.Max}
			for _, n := range l.Refused {
				in.Load.Refused += n
			}
		}
		m, err := scrapeMetrics(ctx, r.children[i].console)
		if err != nil {
			fmt.Fprintf(r.log, "instance %d: %v\n", i+1, err)
		}
		in.Metrics = m
		k.Instances = append(k.Instances, in)
	}
	return k
}
