package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/iwf-gateway/iwf/adapters/sip"
	"github.com/iwf-gateway/iwf/cpm"
)

func newSendCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "send", Short: "Act as a CPM client toward a running iwf"}
	cmd.AddCommand(
		newSendKindCmd("sms", "Send one SIP MESSAGE to iwf for an SMS user and print the answer",
			"  iwf send sms --to tel:+447700900123 --text 'Hello'\n"+
				"  iwf send sms --to sip:+447700900123@ims.example.net;user=phone --text 'Hi' --notify positive-delivery,negative-delivery",
			"the SMS recipient (tel: or sip: URI, or a number)", false),
		newSendKindCmd("mms", "Send a multimedia message (text, subject, files) to iwf for an MMS user and print the answer",
			"  iwf send mms --to tel:+447700900123 --subject Holiday --text 'Look' --file beach.jpg",
			"the MMS recipient (tel: or sip: URI, or a number)", true),
		newSendKindCmd("im", "Send one SIP MESSAGE to iwf for an IMPS user and print the answer",
			"  iwf send im --to wv:alice@imps.example.net --text 'Hello'",
			"the IMPS recipient (wv:user@domain, im: or sip: URI in an IMPS domain)", false),
		newSendFileCmd(),
	)
	return cmd
}

// newSendKindCmd builds `send sms|mms|im`: the same CPM client, with
// subject and files for MMS.
func newSendKindCmd(use, short, example, toHelp string, media bool) *cobra.Command {
	var o sendOptions
	c := &cobra.Command{
		Use: use, Short: short, Example: example, Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.text == "" && len(o.files) == 0 {
				return errors.New("nothing to send: give --text" + map[bool]string{true: " or --file", false: ""}[media])
			}
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
	f := c.Flags()
	f.StringVar(&o.iwf, "iwf", "127.0.0.1:5070", "iwf's SIP address (host:port)")
	f.StringVar(&o.from, "from", "sip:+447700900999@iwf.example.net;user=phone", "the CPM sender")
	f.StringVar(&o.to, "to", "", toHelp)
	f.StringVar(&o.text, "text", "", "the message text")
	if media {
		f.StringVar(&o.subject, "subject", "", "the message subject")
		f.StringArrayVar(&o.files, "file", nil, "a file to attach (repeatable); its type comes from its extension, else its content")
	} else {
		f.BoolVar(&o.plain, "plain", false, "send text/plain instead of message/cpim")
	}
	f.BoolVar(&o.tcp, "tcp", false, "send over TCP (always used above 1300 bytes)")
	f.StringSliceVar(&o.notify, "notify", []string{"positive-delivery"}, "IMDN dispositions to request (positive-delivery, negative-delivery, display)")
	f.DurationVar(&o.timeout, "timeout", 10*time.Second, "give up after this long")
	_ = c.MarkFlagRequired("to")
	return c
}

type sendOptions struct {
	iwf, from, to, text string
	subject             string
	files               []string
	plain, tcp          bool
	notify              []string
	timeout             time.Duration
}

// maxSendFile bounds one attached file (SIP pager mode would refuse more
// anyway).
const maxSendFile = 4 << 20

// parts builds the message parts: the text, then each file.
func (o *sendOptions) parts() ([]cpm.Part, error) {
	var parts []cpm.Part
	if o.text != "" {
		parts = append(parts, cpm.Part{ContentType: "text/plain;charset=utf-8", Body: []byte(o.text)})
	}
	for _, name := range o.files {
		st, err := os.Stat(name)
		if err != nil {
			return nil, err
		}
		if st.Size() > maxSendFile {
			return nil, fmt.Errorf("%s: %d bytes; at most %d", name, st.Size(), maxSendFile)
		}
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		ct := mime.TypeByExtension(filepath.Ext(name))
		if ct == "" {
			ct = http.DetectContentType(b)
		}
		parts = append(parts, cpm.Part{ContentType: ct, Filename: filepath.Base(name), Body: b})
	}
	return parts, nil
}

// send builds the MESSAGE and sends it from a client-only SIP endpoint.
func (o *sendOptions) send(ctx context.Context) (string, error) {
	to := o.to
	if !strings.Contains(to, ":") {
		to = "tel:" + to
	}
	if scheme, rest, _ := strings.Cut(to, ":"); strings.EqualFold(scheme, "wv") || strings.EqualFold(scheme, "im") {
		// An IMPS user is written to as a SIP URI in its domain, as a
		// CPM client would.
		to = "sip:" + rest
	}
	parts, err := o.parts()
	if err != nil {
		return "", err
	}
	m := cpm.Message{
		ID: rand.Text(), From: cpm.Address(o.from), To: cpm.Address(to), DateTime: time.Now(),
		Subject: o.subject, Parts: parts,
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
	if !o.plain || len(parts) != 1 || o.subject != "" {
		out.ContentType, out.Body = "message/cpim", m.CPIM().Marshal()
	}
	proxy := "sip:" + o.iwf
	listen := "udp:127.0.0.1:0"
	if o.tcp || len(out.Body) > 1300 {
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
