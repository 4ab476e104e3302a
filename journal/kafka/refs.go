package kafka

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
)

// refUpdate is a binding to publish, or a tombstone for a purged entry's
// ref.
type refUpdate struct {
	ref       string
	b         binding
	tombstone bool
}

// refsJob is bindings from one group of Puts and the Puts waiting for
// them.
type refsJob struct {
	updates []refUpdate
	waiters []*putRequest
}

// Refs publisher timing.
const (
	refsQueueLen   = 1024
	refsRetryEvery = time.Second
	maxRefsRound   = 4096 // updates per publishing round
)

// refsPublisher writes ref bindings to the refs topic. Puts wait for it
// while it keeps up (so other instances resolve their refs when Put
// returns) but it never fails one: the Put is durable once its journal record is acknowledged,
// and a binding that could not be published is retried until it is, or
// until it is no longer the binding this instance knows. Bindings lost
// with a crashed instance are published again by the next owner of the
// entry (see audit).
type refsPublisher struct {
	j      *Journal
	parts  []int
	queue  chan refsJob
	stopCh chan struct{}
	done   chan struct{}

	mu       sync.Mutex
	pending  []refUpdate // to publish in the next round: set aside or failed
	inFlight int         // pending updates the current round is sending
}

func newRefsPublisher(j *Journal) *refsPublisher {
	p := &refsPublisher{
		j: j, parts: partitionIDs(j.refsParts), queue: make(chan refsJob, refsQueueLen),
		stopCh: make(chan struct{}), done: make(chan struct{}),
	}
	go p.run()
	return p
}

// publish queues updates and answers waiters (nil) once they are
// published or set aside for retry. It never blocks: when the publisher
// is behind (the refs topic is slow or down) or stopped, the updates are
// set aside at once, so the journal writers never wait for the refs
// topic.
func (p *refsPublisher) publish(updates []refUpdate, waiters []*putRequest) {
	if len(updates) == 0 {
		answer(waiters)
		return
	}
	select {
	case <-p.done:
	default:
		select {
		case p.queue <- refsJob{updates: updates, waiters: waiters}:
			return
		default:
		}
	}
	p.setAside(updates)
	answer(waiters)
}

func answer(waiters []*putRequest) {
	for _, w := range waiters {
		w.done <- nil
	}
}

// maxPending bounds the updates set aside; beyond it the oldest are
// dropped (the next owner's rebuild publishes them again).
const maxPending = 1 << 20

func (p *refsPublisher) setAside(updates []refUpdate) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pending = append(p.pending, updates...)
	if over := len(p.pending) - maxPending; over > 0 {
		p.pending = slices.Delete(p.pending, 0, over)
		p.j.log.Error("journal ref bindings dropped: too many unpublished", "dropped", over)
	}
}

func (p *refsPublisher) pendingCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.pending) + p.inFlight
}

// stop publishes what is queued and pending, once, and ends the
// publisher. Close calls it after the writers stopped.
func (p *refsPublisher) stop() {
	close(p.stopCh)
	<-p.done
	if n := p.pendingCount(); n > 0 {
		p.j.log.Warn("journal closed with ref bindings unpublished; the next owner publishes them", "refs", n)
	}
}

func (p *refsPublisher) run() {
	defer close(p.done)
	retry := time.NewTicker(refsRetryEvery)
	defer retry.Stop()
	for {
		var jobs []refsJob
		select {
		case job := <-p.queue:
			jobs = p.gather(append(jobs, job))
		case <-retry.C:
		case <-p.stopCh:
			p.round(p.gather(nil))
			return
		}
		p.round(jobs)
	}
}

// gather adds the queued jobs to jobs, up to maxRefsRound updates.
func (p *refsPublisher) gather(jobs []refsJob) []refsJob {
	n := 0
	for _, job := range jobs {
		n += len(job.updates)
	}
	for n < maxRefsRound {
		select {
		case job := <-p.queue:
			jobs, n = append(jobs, job), n+len(job.updates)
		default:
			return jobs
		}
	}
	return jobs
}

// round publishes the updates of jobs and the pending ones, then answers
// the waiters of jobs. Pending updates stay counted until they succeed.
func (p *refsPublisher) round(jobs []refsJob) {
	p.mu.Lock()
	updates := p.pending
	p.pending, p.inFlight = nil, len(updates)
	p.mu.Unlock()
	for _, job := range jobs {
		updates = append(updates, job.updates...)
	}
	failed := p.send(p.current(updates))
	p.mu.Lock()
	p.inFlight = 0
	p.mu.Unlock()
	p.setAside(failed)
	for _, job := range jobs {
		answer(job.waiters)
	}
}

// current keeps the updates that still say what this instance knows: a
// binding overtaken by a later one, or a tombstone for a ref bound again,
// is dropped.
func (p *refsPublisher) current(updates []refUpdate) []refUpdate {
	j := p.j
	j.mu.RLock()
	defer j.mu.RUnlock()
	out := updates[:0]
	for _, u := range updates {
		b, ok := j.v.bindings[u.ref]
		if u.tombstone && !ok || !u.tombstone && ok && b == u.b {
			out = append(out, u)
		}
	}
	return out
}

// send produces updates, one request per refs partition in parallel, and
// returns those that failed.
func (p *refsPublisher) send(updates []refUpdate) []refUpdate {
	byPart := make(map[int][]refUpdate)
	for _, u := range updates {
		part := kafka.Murmur2Balancer{}.Balance(kafka.Message{Key: []byte(u.ref)}, p.parts...)
		byPart[part] = append(byPart[part], u)
	}
	var mu sync.Mutex
	var failed []refUpdate
	var wg sync.WaitGroup
	for part, us := range byPart {
		wg.Go(func() {
			if err := p.sendPartition(part, us); err != nil {
				p.j.log.Warn("journal ref bindings not published; will retry", "refs", len(us), "err", err)
				mu.Lock()
				failed = append(failed, us...)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return failed
}

func (p *refsPublisher) sendPartition(part int, us []refUpdate) error {
	msgs := make([]message, len(us))
	for i, u := range us {
		msgs[i].key = []byte(u.ref)
		if !u.tombstone {
			msgs[i].value = appendBinding(make([]byte, 0, bindingLen), u.b)
		}
	}
	ctx, cancel := context.WithTimeout(p.j.bg, p.j.cfg.WriteTimeout)
	defer cancel()
	_, err := p.j.produce(ctx, p.j.cfg.refsTopic(), part, msgs)
	return err
}

// startRefsReaders reads every partition of the refs topic into the
// bindings, for the life of the journal, and returns once they have read
// what the topic held when it was called.
func (j *Journal) startRefsReaders(ctx context.Context) error {
	parts := partitionIDs(j.refsParts)
	ranges, err := j.offsets(ctx, j.cfg.refsTopic(), parts)
	if err != nil {
		return err
	}
	loaded := newCountdown(len(parts))
	for _, part := range parts {
		r := ranges[part]
		var once sync.Once
		caughtUp := func() { once.Do(loaded.done) }
		if r.first >= r.end {
			caughtUp()
		}
		j.wg.Go(func() {
			j.readPartition(j.bg, j.cfg.refsTopic(), part, r.first, 0, func(msg kafka.Message) {
				j.applyRef(msg)
				if msg.Offset+1 >= r.end {
					caughtUp()
				}
			})
		})
	}
	select {
	case <-loaded.zero:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// applyRef applies one refs-topic record to the bindings. If it would
// undo a binding this instance is responsible for (a tombstone or an
// earlier binding that reached the topic after it), the binding stays and
// is published again, so the compacted topic ends with it.
func (j *Journal) applyRef(msg kafka.Message) {
	ref := string(msg.Key)
	if ref == "" || len(ref) > MaxRefSize {
		j.corrupt(msg, errors.New("ref key out of bounds"))
		return
	}
	var b binding
	if msg.Value != nil {
		var err error
		if b, err = decodeBinding(msg.Value); err != nil {
			j.corrupt(msg, err)
			return
		}
	}
	j.mu.Lock()
	cur, ok := j.v.bindings[ref]
	keep := ok && j.v.holdsLocked(ref, cur) && (msg.Value == nil || laterBinding(cur, b))
	switch {
	case keep:
	case msg.Value == nil:
		delete(j.v.bindings, ref)
	default:
		j.v.bindLocked(ref, b)
	}
	j.mu.Unlock()
	if keep && (msg.Value == nil || cur != b) {
		j.refs.publish([]refUpdate{{ref: ref, b: cur}}, nil)
	}
}

// corrupt counts and logs a record that does not decode; it is skipped.
func (j *Journal) corrupt(msg kafka.Message, err error) {
	j.stats.corrupt.Add(1)
	j.log.Error("journal record skipped", "topic", msg.Topic, "partition", msg.Partition, "offset", msg.Offset, "err", err)
}
