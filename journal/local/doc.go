// Package local is the embedded journal backend: a single bbolt file
// (go.etcd.io/bbolt) on the gateway's own disk. It implements
// journal.Journal and passes journal/journaltest.
//
// # Group commit
//
// One writer goroutine owns every write transaction that carries Puts.
// Put validates and encodes its entries in the caller's goroutine, queues
// them and waits; the writer gathers the queued Puts (up to Config.MaxBatch
// entries, waiting at most Config.MaxDelay for companions), applies them in
// one transaction, commits with one fsync and wakes each waiter with the
// result. All entries of one Put are applied in the same transaction. If a
// shared transaction fails, the writer retries each Put of the batch alone,
// so one Put's failure is never reported to another.
//
// Cancellation: a Put whose context ends before the writer has taken it
// returns ctx.Err() and writes nothing. Once the writer has taken it into a
// transaction, Put waits for that commit and returns its outcome (nil if it
// committed) whatever the context says: never half.
//
// # Layout
//
// Bucket "entries" maps the big-endian Seq to the encoded record (see
// record.go). Bucket "open" and bucket "dead" hold the Seq of every entry in
// that state (empty values). Bucket "done" holds, for every Done entry, the
// key doneAt|Seq (both big-endian, doneAt in unix nanoseconds), so the
// retention purge reads the oldest first. Bucket "refs" maps a ref string
// to the Seq it is bound to. Bucket "meta" keeps the per-state counts. The
// high-water Seq is the sequence of bucket "entries", so after a reopen
// (even after a crash) new Seqs continue strictly above every Seq ever
// stored, purged ones included.
//
// A record of 16 KiB or more (bigRecord: an MMS, a file) is kept apart, in
// a bucket of its own inside bucket "big" named by its Seq key, and
// bucket "entries" holds a one-byte stub for it. bbolt never splits a leaf
// of four keys or fewer, so large records side by side in "entries"
// shared leaves and writing one rewrote its neighbours: 1 MB entries each
// written twice put 3.2 times their size on the disk, and 1.04 times once
// kept apart. In its bucket the record is its head (fixed fields and refs)
// and its data in chunks of about 16 KiB counted from the data's end; a
// new version writes the head and only the chunks that differ, so an entry
// whose data changes before its tail (the gateway keeps message bodies
// last) is not written whole again. Records written inline, or whole in
// their bucket, by earlier versions read as before and take the current
// layout at their next write.
//
// Refs are the caller's correlation ids (message ids): scattered keys, so
// every ref costs a random B+tree insert; see the package benchmarks.
//
// # Retention
//
// Done entries whose Done state is older than Config.Retention are purged
// by a goroutine owned by the Journal, in transactions of at most 1,000
// entries so writers never wait long. A purged entry's refs are removed
// when they still point at it. Open and Dead entries are never purged.
//
// # Concurrency
//
// All methods are safe for concurrent use. Get, Lookup and Scan read in
// bbolt read transactions; Scan reads in chunks and never holds a
// transaction while it calls fn, so fn may call Put. Close stops new Puts,
// lets the writer commit every Put already queued, stops the purge and
// closes the file; it waits for all of that and is idempotent.
package local
