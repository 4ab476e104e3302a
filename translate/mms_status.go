package translate

import (
	"fmt"
	"strings"

	"github.com/iwf-gateway/iwf/cpm"
)

// mmStatusOutcome is what a DeliveryReportReq's MMStatus means for the
// sender.
type mmStatusOutcome struct {
	status cpm.Status
	final  bool
}

// mmStatusOutcomes maps the MMStatus values of TS 23.140 8.7.7.1 (table
// 8.7.7.1 and the MM1 statuses it carries), by their lower-case form.
var mmStatusOutcomes = map[string]mmStatusOutcome{
	"retrieved": {cpm.Delivered, true},
	// Forwarded: the recipient had the message and passed it on without
	// retrieving it, so it reached them.
	"forwarded":    {cpm.Delivered, true},
	"rejected":     {cpm.Failed, true},
	"expired":      {cpm.Failed, true},
	"unrecognised": {cpm.Failed, true},
	"unrecognized": {cpm.Failed, true},
	// Indeterminate: the relay will learn no more, so the outcome is
	// final and unknown.
	"indeterminate": {cpm.Error, true},
	"deferred":      {"", false},
}

// DeliveryReportStatus maps the MMStatus of an MM7 DeliveryReportReq to an
// IMDN status and whether it is final (TS 23.140 8.7.7.1):
//
//	Retrieved, Forwarded            cpm.Delivered, final
//	Rejected, Expired, Unrecognised cpm.Failed, final
//	Indeterminate                   cpm.Error, final
//	Deferred                        not final: no report yet
//
// Values compare without regard to case or surrounding space. Any other
// value gives cpm.Error, final, with an error wrapping ErrMMSStatus for
// the gateway to log: the sender still learns that the outcome is unknown.
func DeliveryReportStatus(mmStatus string) (cpm.Status, bool, error) {
	if o, ok := mmStatusOutcomes[strings.ToLower(strings.TrimSpace(mmStatus))]; ok {
		return o.status, o.final, nil
	}
	v := mmStatus
	if len(v) > maxAddressShown {
		v = v[:maxAddressShown] + "…"
	}
	return cpm.Error, true, fmt.Errorf("translate: MMStatus %q: %w", v, ErrMMSStatus)
}

// ReadReplyDisplayed reports whether the MMStatus of an MM7 ReadReplyReq
// (TS 23.140 8.7.8.1) means the message was displayed: "Read" does;
// "Deleted" (deleted without being read), "Indeterminate" and anything
// else do not, and no display notification is sent for them (RFC 5438
// has no status for "not read").
func ReadReplyDisplayed(mmStatus string) bool {
	return strings.EqualFold(strings.TrimSpace(mmStatus), "Read")
}
