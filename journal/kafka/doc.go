// Package kafka is the journal backend for several gateway instances: a
// journal.Shared on Kafka topics through github.com/segmentio/kafka-go,
// shared by the instances of one consumer group (DESIGN.md, promise 6). It
// passes journal/journaltest.
//
// # Topics
//
// Open creates what is missing: <prefix>.journal, with Config.Partitions
// and Config.Replication, cleanup.policy=delete and retention.ms from
// Config.TopicRetention; <prefix>.refs, compacted; and <prefix>.letters,
// like the journal topic and with its partition count, whatever
// Config.Partitions says (an existing letters topic of another count is
// refused). All get min.insync.replicas of a majority of the replicas
// (so "all in-sync replicas" is never one) and max.message.bytes to fit
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
// # Partitioning by recipient
//
// Only the owner of a partition assigns Seqs in it (that is what makes
// them unique). The gateway partitions work by recipient:
// PartitionFor(key) is FNV-1a (32 bits) of the key modulo the partition
// count, the same on every instance; PutIn(p) writes new entries into p
// if this instance owns it (ownership.route with p wanted), else fails
// with ErrNotOwner, which is journal.ErrNotOwner. Work for a partition
// owned elsewhere travels as a letter (Send) that the owner turns into
// the entry; receipts for an entry owned elsewhere are sent to
// PartitionOf(seq). Ownership lists the partitions served now and a
// channel closed at the next change, so the gateway restores the Open
// entries (Scan) of partitions it is given.
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
// # Letters
//
// A letter is a record of <prefix>.letters in partition p, the owner of
// journal partition p being its reader. Send hands it to the sender
// goroutine of p (one per partition, for the life of the journal), which
// writes the Sends queued in one produce request with RequiredAcks all,
// in queue order, retrying within Config.WriteTimeout as the writers do;
// the next request waits for this one, so letters keep their order. A
// letter's data is bounded by MaxDataSize.
//
// Each generation, once its partitions are served, a reader per owned
// partition delivers its letters to the one Letters channel: for a
// partition new to this instance from the group's committed offset of the
// letters topic, for one kept from where delivery stopped. The committer
// commits, with the journal offsets and in the same request, the offset
// of the oldest letter delivered and not Done (or the next one to
// deliver), so a letter left without Done, by a Close, a rebalance or a
// crash, is read again by the next owner; Done letters after it come
// again with it (at least once). Delivery waits when the channel is full
// (lettersQueueLen), when maxOpenLetters of a partition are not Done, and
// reads at most letterPrefetch records ahead, so a slow gateway bounds
// the memory letters take. When a generation ends its readers stop; a
// letter already in the channel may still be received, and its Done,
// like a second one, does nothing if the partition left. MinBytes 1
// makes the broker answer a reader's fetch when a letter arrives, so the
// owner sees it within a produce and a fetch round trip (well under a
// millisecond on loopback, see BenchmarkLetterLatency).
//
// Why a topic of their own rather than a record type in the journal
// topic: the committed offset of a journal partition is held back by the
// oldest record a kept entry needs, for up to Config.RewriteAfter (a Dead
// letter, an MMS waiting for days). Letters in that partition would come
// again to every new owner, Done or not, unless their Done were written
// back as records, one more produce per letter. In a topic of their own,
// co-partitioned with the journal and committed by the same group, the
// committed offset follows the oldest letter not Done, independently of
// the entries; only the group's assignment of the journal topic decides
// who reads it, so the two never disagree. Letters not Done within
// Config.TopicRetention are deleted by retention, like journal records.
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
// # Snapshots
//
// OpenSnapshot reads the journal and refs topics, every partition, from
// the group's committed offsets to the high-water marks, into a
// read-only journal.Journal, without joining the group or committing: the
// CLI (iwf journal, iwf replay --dry-run) looks into a running cluster
// without disturbing it. It is bounded by MaxSnapshotBytes.
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
// partition readers, writers, letter readers and the committer (kafka-go
// joins them before the next generation; Close joins the letter readers
// too); the letter senders; the refs readers and publisher; the
// maintenance loop. Close drains the writers and the senders, ends the
// generation (committing offsets), leaves the group, flushes the refs
// publisher, waits for all of them and closes the Letters channel.
// Journal.mu, ownership.mu, putMu, refsPublisher.mu and letterBox.mu are
// never held together.
package kafka
