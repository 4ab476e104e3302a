package console

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/iwf-gateway/iwf/gateway"
)

func (s *Server) metrics(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	var b strings.Builder
	writeMetrics(&b, s.src.Stats(), s.src.Ready(), consoleCounts{clients: int(s.hub.nclients.Load()), dropped: s.hub.dropped.Load()})
	_, _ = io.WriteString(w, b.String())
}

// consoleCounts are the console's own numbers in /metrics.
type consoleCounts struct {
	clients int
	dropped int64
}

// labelEscaper escapes a label value as the text format wants: backslash,
// double quote and line feed, nothing else.
var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

func label(name, value string) string { return name + `="` + labelEscaper.Replace(value) + `"` }

func family(b *strings.Builder, name, typ, help string) {
	fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
}

// scalar is a family of one sample without labels.
type scalar struct {
	name, help string
	v          int64
}

// writeScalars writes each of ss as a family of type typ with its sample,
// in order.
func writeScalars(b *strings.Builder, typ string, ss []scalar) {
	for _, s := range ss {
		family(b, s.name, typ, s.help)
		sample(b, s.name, nil, s.v)
	}
}

func sample(b *strings.Builder, name string, labels []string, v int64) {
	b.WriteString(name)
	if len(labels) > 0 {
		b.WriteString("{" + strings.Join(labels, ",") + "}")
	}
	b.WriteString(" " + strconv.FormatInt(v, 10) + "\n")
}

// writeMetrics renders st in the Prometheus text exposition format 0.0.4.
func writeMetrics(b *strings.Builder, st gateway.Stats, ready bool, cc consoleCounts) {
	family(b, "iwf_messages_accepted_total", "counter", "Messages journaled, by source network.")
	for _, a := range []struct {
		network string
		v       int64
	}{{"cpm", st.AcceptedCPM}, {"sms", st.AcceptedSMS}, {"mms", st.AcceptedMMS}, {"imps", st.AcceptedIMPS}} {
		sample(b, "iwf_messages_accepted_total", []string{label("network", a.network)}, a.v)
	}
	family(b, "iwf_messages_ended_total", "counter", "Messages that reached a terminal state, by outcome.")
	for _, o := range []struct {
		outcome string
		v       int64
	}{{"delivered", st.Delivered}, {"submitted", st.Submitted}, {"failed", st.Failed}, {"expired", st.Expired}} {
		sample(b, "iwf_messages_ended_total", []string{label("outcome", o.outcome)}, o.v)
	}
	writeEventCounts(b, st.Outcomes)
	writeLatencies(b, st.Latencies)
	writeScalars(b, "counter", []scalar{
		{"iwf_duplicates_total", "Repeats recognised and dropped.", st.Duplicates},
		{"iwf_rejected_total", "Inputs refused with a protocol error.", st.Rejected},
		{"iwf_sms_segments_submitted_total", "submit_sm accepted by SMSCs.", st.Segments},
		{"iwf_mms_submits_total", "SubmitReq accepted by the MMS relay.", st.MMSSubmits},
		{"iwf_imps_sent_total", "SendMessage accepted by the IMPS server.", st.IMPSSent},
		{"iwf_retries_total", "Delivery attempts scheduled again.", st.Retries},
		{"iwf_receipts_total", "Final SMSC receipts correlated with their message.", st.Receipts},
		{"iwf_receipts_uncorrelated_total", "Receipts whose message was not found.", st.UncorrelatedReceipts},
		{"iwf_mo_fragments_total", "Concatenated MO segments journaled.", st.Fragments},
		{"iwf_reports_total", "IMDNs queued toward CPM users.", st.Reports},
		{"iwf_reports_sent_total", "IMDNs the CPM side accepted.", st.ReportsSent},
		{"iwf_reports_lost_total", "IMDNs that failed or expired.", st.ReportsLost},
		{"iwf_journal_errors_total", "Accepts refused because the journal failed.", st.JournalErrors},
		{"iwf_overloaded_total", "MESSAGEs refused with 503 because too many were being accepted.", st.Overloaded},
		{"iwf_events_dropped_total", "Events a slow subscriber (the console) missed; the pipeline never waits.", st.EventsDropped},
		{"iwf_console_frames_dropped_total", "Live rows not sent to a console client that did not keep up.", cc.dropped},
		{"iwf_chat_delivered_total", "Messages and IMDNs delivered to CPM users inside chat sessions.", st.ChatDelivered},
	})
	if sh := st.Shared; sh.Shared {
		family(b, "iwf_partitions_owned", "gauge", "Journal partitions this instance owns now (0 while the instances rebalance).")
		sample(b, "iwf_partitions_owned", nil, int64(len(sh.Owned)))
		writeScalars(b, "counter", []scalar{
			{"iwf_letters_sent_total", "Work and reports handed to the instance owning their partition.", sh.LettersSent},
			{"iwf_reports_forwarded_total", "Reports among the letters sent: receipts and reports on another instance's messages.", sh.ReportsForwarded},
			{"iwf_letters_handled_total", "Letters taken as the owner of their partition.", sh.LettersHandled},
			{"iwf_letters_bad_total", "Unreadable letters, logged and dropped.", sh.LettersBad},
			{"iwf_handed_over_total", "Work let go because its partition moved to another instance.", sh.HandedOver},
		})
	}
	family(b, "iwf_queue_depth", "gauge", "Messages waiting for delivery, by route.")
	for _, q := range st.Queues {
		sample(b, "iwf_queue_depth", []string{label("route", q.Route)}, int64(q.Depth))
	}
	family(b, "iwf_route_up", "gauge", "Whether a route can deliver now (an SMPP bind, the MM7 link, the IMPS session, the SIP side).")
	for _, q := range st.Queues {
		sample(b, "iwf_route_up", []string{label("route", q.Route)}, boolInt(q.Ready))
	}
	family(b, "iwf_route_links", "gauge", "Connections of a route's link: SMPP binds, the IMPS session (state up or all).")
	for _, q := range st.Queues {
		if q.Links > 0 {
			sample(b, "iwf_route_links", []string{label("route", q.Route), label("state", "up")}, int64(q.LinksUp))
			sample(b, "iwf_route_links", []string{label("route", q.Route), label("state", "all")}, int64(q.Links))
		}
	}
	writeScalars(b, "gauge", []scalar{
		{"iwf_scheduled_timers", "Retries and expiries waiting for their time (the retry backlog).", int64(st.ScheduledTimers)},
		{"iwf_awaiting_receipts", "Messages submitted and waiting for a report.", st.AwaitingReceipts},
		{"iwf_mo_reassembly_pending", "MO messages being reassembled.", int64(st.PendingFragments)},
		{"iwf_chat_sessions", "Live chat sessions between CPM users and legacy users.", int64(st.ChatSessions)},
		{"iwf_console_clients", "Websocket clients of the console.", int64(cc.clients)},
		{"iwf_ready", "Whether iwf is ready.", boolInt(ready)},
	})
}

func writeEventCounts(b *strings.Builder, outcomes []gateway.OutcomeCount) {
	family(b, "iwf_events_total", "counter", "Steps of messages (accepted, submitted, retry, delivered, sent, failed, expired), by network and direction.")
	for _, o := range outcomes {
		sample(b, "iwf_events_total", []string{label("network", o.Network), label("direction", o.Direction), label("event", string(o.Event))}, o.Count)
	}
}

func writeLatencies(b *strings.Builder, ls []gateway.LatencyStats) {
	family(b, "iwf_accept_latency_seconds", "histogram", "From a message's arrival to its journal write (the source's positive answer).")
	for _, l := range ls {
		writeHistogram(b, "iwf_accept_latency_seconds", l.Network, l.Direction, l.Accept)
	}
	family(b, "iwf_delivery_latency_seconds", "histogram", "From a message's acceptance to its delivery.")
	for _, l := range ls {
		writeHistogram(b, "iwf_delivery_latency_seconds", l.Network, l.Direction, l.Delivery)
	}
}

func writeHistogram(b *strings.Builder, name, network, direction string, h gateway.Histogram) {
	base := []string{label("network", network), label("direction", direction)}
	for i, le := range gateway.LatencyBuckets {
		var v int64
		if i < len(h.Counts) {
			v = h.Counts[i]
		}
		sample(b, name+"_bucket", append(base[:2:2], label("le", strconv.FormatFloat(le, 'g', -1, 64))), v)
	}
	sample(b, name+"_bucket", append(base[:2:2], label("le", "+Inf")), h.Count)
	fmt.Fprintf(b, "%s_sum{%s} %s\n", name, strings.Join(base, ","), strconv.FormatFloat(h.Sum, 'g', -1, 64))
	sample(b, name+"_count", base, h.Count)
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
