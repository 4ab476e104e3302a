// Package console is the operator's HTTP side of iwf: /healthz, /readyz and
// /metrics (Prometheus text format). It reads the gateway's status; it
// never talks to an adapter.
package console
