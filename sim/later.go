package sim

import (
	"context"
	"sync"
	"time"
)

// Later runs the simulators' delayed work (echoes, reports) on goroutines
// that Close cancels and waits for, so a simulator's Close leaves nothing
// running. The zero value is not usable; call NewLater.
type Later struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	closed bool // nothing is added to wg once set
}

// NewLater returns a Later ready for work.
func NewLater() *Later {
	l := &Later{}
	l.ctx, l.cancel = context.WithCancel(context.Background())
	return l
}

// After runs f after d on its own goroutine, with a context that ends on
// Close (f is not run when Close comes first). It reports false, and runs
// nothing, once Close has begun.
func (l *Later) After(d time.Duration, f func(ctx context.Context)) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.wg.Go(func() {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			f(l.ctx)
		case <-l.ctx.Done():
		}
	})
	return true
}

// Close cancels the work waiting or running and waits for it. It is
// idempotent.
func (l *Later) Close() {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	l.cancel()
	l.wg.Wait()
}
