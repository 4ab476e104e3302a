// Package sim groups the in-process peers of the sandbox default: the SMSC
// (sim/smsc), and later the MMS relay and the IMPS server, each listening
// on loopback so that `iwf serve` without a configuration file has
// something to talk to.
package sim
