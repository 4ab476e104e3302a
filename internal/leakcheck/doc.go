// Package leakcheck is a test helper: it tells whether goroutines started
// during a test outlived it. Every package that owns goroutines (adapters,
// simulators) checks its Close and Shutdown with it.
package leakcheck
