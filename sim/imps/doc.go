// Package imps is the sandbox IMPS server: WV-CSP 1.1/1.2 XML over HTTP
// (the IWF-1 reference point) at 127.0.0.1:0, built on the fake server
// adapters/imps/impstest, for `iwf serve` without a configuration file.
//
// It logs the gateway's account in (password or MD5 digest), keeps its
// session, accepts SendMessage-Request and queues NewMessages in the
// account's inbox for the gateway's polls. With Config.Echo every
// SendMessage-Request to a user wv:X is answered, after Config.EchoDelay,
// by a NewMessage from wv:X back to the original sender carrying
// "echo: <text>" (binary content comes back unchanged), so that a
// newcomer sees traffic in both directions. Faults pass through to the
// fake server.
//
// Concurrency: every method is safe for concurrent use. Each echo is one
// goroutine that the Server owns; Close cancels the echoes in flight and
// waits for them and for the fake server.
package imps
