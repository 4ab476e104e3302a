package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/iwf-gateway/iwf/adapters/imps/impstest"
)

// benchIMPSOptions are the flags of `iwf bench imps`.
type benchIMPSOptions struct {
	peerBenchOptions
	Users     int    // distinct IMPS recipients, user0 .. user<Users-1>
	Transport string // of the SIP load
}

func newBenchIMPSCmd() *cobra.Command {
	o := benchIMPSOptions{}
	cmd := newPeerBenchCmd(&cobra.Command{
		Use:   "imps",
		Short: "Drive text messages from CPM through iwf into an IMPS server and report rates, latency, memory and losses",
		Long: "Runs iwf (this binary, `serve`) as a child process with the local journal, and in this process\n" +
			"a fake IMPS (Wireless Village CSP over HTTP) server and a SIP load generator, all on loopback.\n" +
			"MESSAGE n carries the text \"bench <n>\" to sip:user<n mod --users>@imps.example.net; the server\n" +
			"records which numbers reached it, so lost and repeated messages are counted exactly.",
		Example: "  iwf bench imps                       # 100,000 messages as fast as iwf takes them\n" +
			"  iwf bench imps --rate 5000           # latency at a fixed rate\n" +
			"  iwf bench imps --workers 64 --transport tcp",
	}, &o.peerBenchOptions, "IMPS server", 100_000, func(ctx context.Context, log io.Writer) (*peerBenchResult, error) {
		return runBenchIMPS(ctx, o, log)
	})
	cmd.Flags().IntVar(&o.Users, "users", 1000, "distinct IMPS users the messages go to")
	cmd.Flags().StringVar(&o.Transport, "transport", "udp", "SIP transport of the load: udp or tcp")
	return cmd
}

// runBenchIMPS runs one `iwf bench imps`; progress goes to log.
func runBenchIMPS(ctx context.Context, o benchIMPSOptions, log io.Writer) (*peerBenchResult, error) {
	switch {
	case o.Users < 1:
		return nil, errors.New("bench: --users must be positive")
	case o.Transport != "udp" && o.Transport != "tcp":
		return nil, errors.New("bench: --transport must be udp or tcp")
	}
	return runPeerBench(ctx, o.peerBenchOptions, &impsBenchPeer{users: o.Users, workers: o.Workers, transport: o.Transport}, log)
}

// impsBenchPeer is the IMPS server of `iwf bench imps`.
type impsBenchPeer struct {
	users, workers int
	transport      string
	srv            *impstest.Server
}

func (p *impsBenchPeer) start(rec *arrivalRecorder, _ string) (peerSpec, error) {
	srv, err := impstest.NewServer(impstest.Config{
		Accounts: map[string]impstest.Account{"iwf-bench": {Password: "bench"}},
		OnSendMessage: func(_ string, s impstest.Sent) {
			rec.note(strings.TrimSpace(s.Request.ContentData))
		},
	})
	if err != nil {
		return peerSpec{}, err
	}
	p.srv = srv
	return peerSpec{
		Name: "imps", Where: "the IMPS server", Unit: "messages", Transport: p.transport,
		Message: loadMessage{AppendURI: p.appendURI, ContentType: "text/plain;charset=UTF-8", AppendBody: appendBenchText},
		Sections: fmt.Sprintf(`imps:
  server_url: %s
  user: iwf-bench
  password: bench
  domain: cpm.example.net
  remote_domains: [imps.example.net]
%saddressmap:
  country_code: "44"
`, srv.URL(), workersYAML(p.workers)),
	}, nil
}

// appendURI is the recipient of message n: one of Users IMPS users.
func (p *impsBenchPeer) appendURI(b []byte, n int) []byte {
	b = strconv.AppendInt(append(b, "sip:user"...), int64(n%p.users), 10)
	return append(b, "@imps.example.net"...)
}

func (p *impsBenchPeer) findings() []string {
	st := p.srv.Stats()
	return []string{fmt.Sprintf("%d logins, %d transactions refused as duplicates, %d sessions expired",
		st.Logins, st.DuplicateTransactions, st.Expired)}
}

func (p *impsBenchPeer) close() {
	if p.srv != nil {
		p.srv.Close()
	}
}
