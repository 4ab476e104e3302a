package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/iwf-gateway/iwf/adapters/sip"
	"github.com/iwf-gateway/iwf/cpm"
)

func newSendCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "send", Short: "Act as a CPM client toward a running iwf"}
	var o sendOptions
	sms := &cobra.Command{
		Use:   "sms",
		Short: "Send one SIP MESSAGE to iwf for an SMS user and print the answer",
		Example: "  iwf send sms --to tel:+447700900123 --text 'Hello'\n" +
			"  iwf send sms --to sip:+447700900123@ims.example.net;user=phone --text 'Hi' --notify positive-delivery,negative-delivery",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), o.timeout)
			defer cancel()
			id, err := o.send(ctx)
			if err != nil {
				var se *sip.StatusError
				if errors.As(err, &se) {
					return fmt.Errorf("refused: %d %s", se.Code, se.Reason)
				}
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "accepted (2xx): imdn.Message-ID %s\n", id)
			return err
		},
	}
	f := sms.Flags()
	f.StringVar(&o.iwf, "iwf", "127.0.0.1:5070", "iwf's SIP address (host:port)")
	f.StringVar(&o.from, "from", "sip:+447700900999@iwf.example.net;user=phone", "the CPM sender")
	f.StringVar(&o.to, "to", "", "the SMS recipient (tel: or sip: URI, or a number)")
	f.StringVar(&o.text, "text", "", "the message text")
	f.BoolVar(&o.plain, "plain", false, "send text/plain instead of message/cpim")
	f.BoolVar(&o.tcp, "tcp", false, "send over TCP (always used above 1300 bytes)")
	f.StringSliceVar(&o.notify, "notify", []string{"positive-delivery"}, "IMDN dispositions to request (positive-delivery, negative-delivery, display)")
	f.DurationVar(&o.timeout, "timeout", 10*time.Second, "give up after this long")
	_ = sms.MarkFlagRequired("to")
	_ = sms.MarkFlagRequired("text")
	cmd.AddCommand(sms)
	return cmd
}

type sendOptions struct {
	iwf, from, to, text string
	plain, tcp          bool
	notify              []string
	timeout             time.Duration
}

// send builds the MESSAGE and sends it from a client-only SIP endpoint.
func (o *sendOptions) send(ctx context.Context) (string, error) {
	to := o.to
	if !strings.Contains(to, ":") {
		to = "tel:" + to
	}
	m := cpm.Message{
		ID: rand.Text(), From: cpm.Address(o.from), To: cpm.Address(to), DateTime: time.Now(),
		Parts: []cpm.Part{{ContentType: "text/plain;charset=utf-8", Body: []byte(o.text)}},
	}
	for _, n := range o.notify {
		switch strings.TrimSpace(n) {
		case "positive-delivery":
			m.Notify |= cpm.PositiveDelivery
		case "negative-delivery":
			m.Notify |= cpm.NegativeDelivery
		case "display":
			m.Notify |= cpm.Display
		case "", "none":
		default:
			return "", fmt.Errorf("unknown disposition %q", n)
		}
	}
	out := sip.Outgoing{RequestURI: to, From: o.from, To: to, ContentType: "text/plain;charset=UTF-8", Body: []byte(o.text)}
	if !o.plain {
		out.ContentType, out.Body = "message/cpim", m.CPIM().Marshal()
	}
	proxy := "sip:" + o.iwf
	listen := "udp:127.0.0.1:0"
	if o.tcp {
		proxy += ";transport=tcp"
		listen = "tcp:127.0.0.1:0"
	}
	ep, err := sip.New(sip.Config{Listen: []string{listen}, OutboundProxy: proxy, TransactionTimeout: o.timeout},
		slog.New(slog.DiscardHandler), func(context.Context, *sip.Request) error {
			return &sip.StatusError{Code: 405, Reason: "Method Not Allowed"}
		})
	if err != nil {
		return "", err
	}
	if err := ep.Start(ctx); err != nil {
		return "", err
	}
	defer ep.Close()
	return m.ID, ep.Send(ctx, &out)
}
