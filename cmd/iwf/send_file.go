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
	"github.com/iwf-gateway/iwf/adapters/sip/sdp"
	"github.com/iwf-gateway/iwf/cpm"
)

// maxSendSessionFile bounds the file `send file` reads (iwf's default
// msrp_max_message_bytes is 16 MiB; a CPIM-wrapped text at most 1 MiB).
const maxSendSessionFile = 16 << 20

func newSendFileCmd() *cobra.Command {
	var (
		iwf, from, to string
		timeout       time.Duration
	)
	cmd := &cobra.Command{
		Use:   "file --to URI PATH",
		Short: "Send a file (or a text too large for pager mode) to iwf over an MSRP session and print the answer",
		Long: "Acts as a CPM client in large-message mode: an INVITE with an MSRP offer to iwf, the file over\n" +
			"MSRP with a success report asked, then BYE. A text file goes as one large message (CPIM); any\n" +
			"other file as a file transfer (RFC 5547) named by its file name, its type from its extension.",
		Example: "  iwf send file --to tel:+447700900123 picture.jpg\n  iwf send file --to tel:+447700900123 long-note.txt",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			id, kind, err := sendFile(ctx, iwf, from, to, args[0], timeout)
			if err != nil {
				var se *sip.StatusError
				if errors.As(err, &se) {
					return fmt.Errorf("refused: %d %s", se.Code, se.Reason)
				}
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "delivered to iwf (%s, MSRP 200 and success report): message %s\n", kind, id)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&iwf, "iwf", "127.0.0.1:5070", "iwf's SIP address (host:port); the session goes over TCP")
	f.StringVar(&from, "from", "sip:+447700900999@iwf.example.net;user=phone", "the CPM sender")
	f.StringVar(&to, "to", "", "the recipient (tel: or sip: URI, or a number)")
	f.DurationVar(&timeout, "timeout", 30*time.Second, "give up after this long")
	_ = cmd.MarkFlagRequired("to")
	return cmd
}

func sendFile(ctx context.Context, iwf, from, to, path string, timeout time.Duration) (string, sip.SessionKind, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", 0, err
	}
	if st.Size() > maxSendSessionFile {
		return "", 0, fmt.Errorf("%s: %d bytes; at most %d", path, st.Size(), maxSendSessionFile)
	}
	body, err := os.ReadFile(path)
	if err != nil {
		return "", 0, err
	}
	if !strings.Contains(to, ":") {
		to = "tel:" + to
	}
	ct := mime.TypeByExtension(filepath.Ext(path))
	if ct == "" {
		ct = http.DetectContentType(body)
	}
	id := rand.Text()
	o := &sip.OutgoingSession{RequestURI: to, From: from, Kind: sip.KindFileTransfer,
		FileSelector: &sdp.FileSelector{Name: filepath.Base(path), Type: ct, Size: int64(len(body))}}
	msg := &sip.SessionMessage{MessageID: id, ContentType: ct, Body: body, SuccessReport: true}
	if strings.HasPrefix(ct, "text/plain") {
		m := cpm.Message{ID: id, From: cpm.Address(from), To: cpm.Address(to), DateTime: time.Now(),
			Parts: []cpm.Part{{ContentType: "text/plain;charset=utf-8", Body: body}}}
		o.Kind, o.FileSelector = sip.KindLargeMessage, nil
		msg.ContentType, msg.Body = "message/cpim", m.CPIM().Marshal()
	}
	ep, err := sip.New(sip.Config{Listen: []string{"tcp:127.0.0.1:0"}, OutboundProxy: "sip:" + iwf + ";transport=tcp",
		TransactionTimeout: timeout, MSRPListen: "127.0.0.1:0"},
		slog.New(slog.DiscardHandler), func(context.Context, *sip.Request) error {
			return &sip.StatusError{Code: 405, Reason: "Method Not Allowed"}
		})
	if err != nil {
		return "", 0, err
	}
	if err := ep.EnableSessions(nil); err != nil {
		return "", 0, err
	}
	if err := ep.Start(ctx); err != nil {
		return "", 0, err
	}
	defer ep.Close()
	s, err := ep.OpenSession(ctx, o)
	if err != nil {
		return "", 0, err
	}
	defer func() { _ = s.Close(context.WithoutCancel(ctx)) }()
	return id, o.Kind, s.Send(ctx, msg)
}
