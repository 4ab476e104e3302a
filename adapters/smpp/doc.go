// Package smpp is iwf's IWF-3 reference point: an ESME client of one SMSC
// over SMPP 3.4 (with 5.0 TLVs where useful), built on
// github.com/fiorix/go-smpp.
//
// It owns the binds (transceiver, or transmitter plus receiver), the window
// of unacknowledged submits, the per-bind rate cap, enquire_link, reconnect
// with back-off, and the answer to every deliver_sm. It knows only SMPP: it
// takes ShortMessages to submit and yields the ShortMessages the SMSC
// delivers to a DeliverFunc, answering the SMSC only after it returns.
package smpp
