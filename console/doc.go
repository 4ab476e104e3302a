// Package console is the operator's HTTP side of iwf: one page served from
// the binary (assets/, embedded) with live traffic pushed over a websocket,
// the admin API under /api/ that the page and `iwf replay` use, /metrics in
// the Prometheus text exposition format, and /healthz and /readyz.
//
// It reads the gateway through Source (status, events, dead letters,
// search, replay); it never talks to an adapter. It follows RFC 6455
// (websocket, through github.com/gorilla/websocket), RFC 6750 (bearer
// tokens) and the Prometheus text exposition format 0.0.4.
//
// # Authentication
//
// Everything but /healthz and /readyz needs the console token: in an
// "Authorization: Bearer" header, or once as GET /?token=…, which sets the
// session cookie iwf_console (HttpOnly, SameSite=Strict, Secure under TLS)
// for the page and its websocket. Tokens are compared in constant time and
// never logged, except the one Start makes when none is configured: its URL
// is logged once so the operator can open the page. Websocket upgrades and
// cookie-authenticated POSTs must come from the console's own origin.
//
// # Live traffic
//
// The console subscribes to the gateway once and fans the events out to the
// websocket clients itself. Each client has a bounded send buffer; a client
// that does not keep up loses rows (counted, and reported to it in the
// per-second tick), so neither the gateway nor the other clients ever wait
// for it. Frames carry addresses and ids, never message bodies.
//
// # Concurrency
//
// Start starts the HTTP server and the hub goroutine; each websocket client
// has a reader and a writer goroutine owned by the hub. Shutdown and Close
// stop the hub (which closes every client) and join all of them. The hub's
// client set is guarded by hub.mu; the series are guarded by their own
// mutex; no lock is held across a network write.
package console
