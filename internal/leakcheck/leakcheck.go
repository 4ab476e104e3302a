package leakcheck

import (
	"runtime"
	"testing"
	"time"
)

// Settle waits, at most timeout, until no more than before goroutines
// run, and returns the count it last saw. Goroutines that end on their own
// after a Close (readers noticing a closed socket) get that long to go.
func Settle(before int, timeout time.Duration) int {
	deadline := time.Now().Add(timeout)
	n := runtime.NumGoroutine()
	for n > before && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
		n = runtime.NumGoroutine()
	}
	return n
}

// Check records the goroutine count now and, when the test ends, fails it
// (with every goroutine's stack) if more remain after a bounded wait.
func Check(t testing.TB) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		if n := Settle(before, 2*time.Second); n > before {
			buf := make([]byte, 1<<16)
			t.Errorf("goroutines: %d before, %d after\n%s", before, n, buf[:runtime.Stack(buf, true)])
		}
	})
}
