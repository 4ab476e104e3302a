package main

import (
	"fmt"
	"strings"

	"github.com/iwf-gateway/iwf/config"
	"github.com/iwf-gateway/iwf/translate"
)

// smsPolicy is the segmentation policy of one configured SMSC route.
func smsPolicy(s config.SMSC) translate.SMSRoute {
	var c translate.Concatenation
	// Validated by config: the text is one of the known modes.
	_ = c.UnmarshalText([]byte(s.Concatenation))
	return translate.SMSRoute{Concatenation: c, AllowLatin1: s.Latin1, MaxSegments: s.MaxSegments}
}

// mmsPolicy is what every SubmitReq on the MM7 route carries.
func mmsPolicy(c *config.MM7) translate.MMSRoute {
	return translate.MMSRoute{
		VASPID: c.VASPID, VASID: c.VASID, ServiceCode: c.ServiceCode,
		MessageClass: c.MessageClass, Priority: c.Priority, MaxBytes: c.MaxMessageBytes,
	}
}

// describeReceipt renders a parsed delivery receipt for `iwf decode smpp`.
func describeReceipt(rc translate.Receipt) string {
	var b strings.Builder
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "  %-15s %s\n", k+":", v)
		}
	}
	line("message id", rc.MessageID)
	if rc.TextID != "" && rc.TextID != rc.MessageID {
		line("text id", rc.TextID)
	}
	status := "not final (no report)"
	if rc.Final {
		status = string(rc.State)
	}
	line("status", status)
	line("stat", rc.Stat)
	if rc.MessageState != 0 {
		line("message_state", fmt.Sprint(rc.MessageState))
	}
	line("err", rc.Err)
	if !rc.Submitted.IsZero() {
		line("submit date", rc.Submitted.Format("2006-01-02 15:04:05"))
	}
	if !rc.Done.IsZero() {
		line("done date", rc.Done.Format("2006-01-02 15:04:05"))
	}
	line("sub", rc.Sub)
	line("dlvrd", rc.Dlvrd)
	line("text", rc.Text)
	return b.String()
}
