// Package kafka is the journal backend for several gateway instances: a
// journal.Journal on Kafka topics through github.com/segmentio/kafka-go,
// shared by the instances of one consumer group (DESIGN.md, promise 6). It
// passes journal/journaltest.
//
// # Topics
//
// Open creates what is missing: <prefix>.journal, with Config.Partitions
// and Config.Replication, cleanup.policy=delete and retention.ms from
// Config.TopicRetention; and <prefix>.refs, compacted. Both get
// min.insync.replicas of a majority of the replicas (so "all in-sync
// replicas" is never one) and max.message.bytes to fit
// Config.MaxRecordBytes. Existing topics are used as they are.
// TopicWriter creates and writes further topics under the same prefix
// (the gateway's charging records, <prefix>.charging).
//
// # Writes
//
// One Put is one Kafka record (record.go), so it is atomic by
// construction, in one partition of the journal topic. Each partition
// this instance owns has one writer goroutine: it takes the queued Puts,
// assigns Seqs and versions, encodes one record per Put and produces them
// in one request with RequiredAcks all (Client.Produce; never the
// asynchronous Writer), retrying retriable errors within
// Config.WriteTimeout. Once acknowledged, the records are applied to this
// instance's view, so a Put is visible to Get, Lookup and Scan when it
// returns; Put also waits, within Config.WriteTimeout, for the refs it
// binds to reach the refs topic (see Refs). A Put that fails, times out
// before it is acknowledged or is refused leaves nothing visible on this
// instance.
//
// New entries go to a partition this instance owns (by the first ref of
// the first entry, else round robin); entries with a Seq go to the
// partition the Seq names (its low 10 bits, clock.go), which this
// instance must own, else ErrNotOwner; a Put naming entries of two
// partitions is ErrCrossPartition. While the group rebalances, Puts wait
// for the next generation, within Config.WriteTimeout.
//
// Partitioning by recipient, later, hooks into ownership.route: only the
// owner of a partition assigns Seqs in it (that is what makes them
// unique), so an instance accepting a message for a recipient whose
// partition another instance owns must hand it to that owner (for
// example as a record the owner turns into the entry) rather than write
// the entry itself.
//
// # Versions and the view
//
// Every record carries whole entry versions, refs included, each with a
// version tick; of two versions of an entry the higher tick wins, in
// whatever order they are read. The view (view.go) holds, in memory, the
// latest version of every entry of the partitions this instance owns, an
// ordered index per state across them, and the ref bindings of the
// whole cluster. Its size is bounded by the Open and Dead entries, the
// Done entries within Config.Retention and the refs bound to them.
//
// Ownership follows the consumer group (kafka.ConsumerGroup: its
// generations say which partitions are ours, which the group Reader does
// not). Each generation, partitions given away are forgotten and their
// queued Puts routed again; new ones are rebuilt by a reader
// (FetchMessage) from the group's committed offset up to the high-water
// mark, hidden from Get and Scan until done; partitions kept go on where
// they were. Writers start only once every partition is rebuilt.
//
// The committed offset of a partition is the offset of the oldest record
// a kept entry still needs (the record of its latest version), never
// past what the reader has read: offsets are committed only for records
// whose work is finished, explicitly with Generation.CommitOffsets
// (CommitMessages belongs to the group Reader) every
// Config.CommitInterval and when a generation ends. A new owner, after a
// rebalance or a crash, reads from there and rebuilds exactly the kept
// entries, the Open ones whose delivery, retry and expiry it takes over.
//
// Entries whose latest version is older than Config.RewriteAfter (a Dead
// letter, an MMS waiting for days) are written again unchanged, so the
// committed offsets keep moving and the topic's retention can delete old
// records: Config.TopicRetention must exceed RewriteAfter by more than
// the longest time no instance runs.
//
// Retention purge is local: every owner removes the same Done entries
// from the same records. A rebuild that starts after an entry's first
// version can meet a later version of an entry purged since; it comes
// back as Done past retention and the purge at the end of the rebuild
// removes it again.
//
// # Refs
//
// <prefix>.refs is compacted and keyed by ref; the value is the Seq and
// the version tick at which the entry named the ref (a tombstone when
// the entry is purged). Every instance reads all of it, so Lookup
// resolves any ref, whoever owns the entry; Get and Scan cover owned
// partitions only. A binding with a higher tick wins. An instance that
// sees a stale binding or a tombstone land after the binding of an entry
// it owns keeps its binding and writes it again, so the compacted topic
// ends right. Bindings that could not be published are retried; those
// lost with a crashed instance are published by the next owner after its
// rebuild.
//
// # What Kafka and kafka-go cannot give
//
// kafka-go has no idempotent or transactional producer, so a produce
// whose acknowledgement was lost (a timeout after the broker appended)
// cannot be fenced off or undone: such a Put returns an error and stays
// invisible on this instance (it skips its own records), but a later
// owner of the partition sees it. Delivery is at-least-once, as the
// gateway already assumes; message ids make the repeats detectable. Nor
// can a writer be fenced: an instance stops writing before it rejoins
// the group, and a partition moves only once every member rejoined or
// the silent one's session expired, so only an instance paused past
// Config.SessionTimeout can write next to the new owner, until its next
// heartbeat fails; in that window the two could assign the same Seq.
//
// # Security
//
// Config.TLS enables TLS (a CA file, an optional client certificate);
// Config.SASL supports PLAIN, with TLS. SCRAM would need the
// github.com/xdg-go/scram module, which this package does not add.
//
// # Concurrency
//
// All methods are safe for concurrent use. Scan copies chunks under the
// read lock and calls fn without it, so fn may call Put. Every goroutine
// has an owner that joins it: the group loop; per generation the
// partition readers, writers and the committer (kafka-go joins them
// before the next generation); the refs readers and publisher; the
// maintenance loop. Close drains the writers, ends the generation
// (committing offsets), leaves the group, flushes the refs publisher and
// waits for all of them. Journal.mu, ownership.mu, putMu and
// refsPublisher.mu are never held together.
package kafka
