// Package sim groups the in-process peers of the sandbox default: the SMSC
// (sim/smsc), the MMS relay (sim/mmsc) and the IMPS server (sim/imps),
// each listening on loopback so that `iwf serve` without a configuration
// file has something to talk to.
package sim
