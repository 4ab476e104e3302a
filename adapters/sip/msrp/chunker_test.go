package msrp

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
)

func tidOf(n int) string { return fmt.Sprintf("tid%05d", n) }

func TestChunkerSplit(t *testing.T) {
	tmpl := validFrame(t)
	tmpl.SuccessReport, tmpl.FailureReport = "yes", "partial"
	body := []byte("0123456789")
	chunks, err := Chunker{Size: 4, TransactionID: tidOf}.Split(tmpl, body)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		br   ByteRange
		body string
		flag Flag
	}{{ByteRange{1, 4, 10}, "0123", FlagMore}, {ByteRange{5, 8, 10}, "4567", FlagMore}, {ByteRange{9, 10, 10}, "89", FlagEnd}}
	if len(chunks) != len(want) {
		t.Fatalf("%d chunks, want %d", len(chunks), len(want))
	}
	for i, c := range chunks {
		w := want[i]
		if *c.ByteRange != w.br || string(c.Body) != w.body || c.Flag != w.flag || c.TransactionID != tidOf(i) ||
			c.Method != MethodSEND || c.MessageID != tmpl.MessageID || c.SuccessReport != "yes" || c.FailureReport != "partial" {
			t.Errorf("chunk %d = %s %+v", i, c, c)
		}
		assertRoundTrip(t, c)
	}
}

func TestChunkerEmptyAndErrors(t *testing.T) {
	tmpl := validFrame(t)
	chunks, err := Chunker{Size: 4, TransactionID: tidOf}.Split(tmpl, nil)
	if err != nil || len(chunks) != 1 || *chunks[0].ByteRange != (ByteRange{1, 0, 0}) || chunks[0].Body != nil || chunks[0].Flag != FlagEnd {
		t.Fatalf("empty message: %v, %v", chunks, err)
	}
	if _, err := (Chunker{Size: 0, TransactionID: tidOf}).Split(tmpl, []byte("x")); !errors.Is(err, ErrInvalidFrame) {
		t.Errorf("size 0: %v", err)
	}
	evil := []byte("ab\r\n-------tid00001$\r\n")
	if _, err := (Chunker{Size: 100, TransactionID: func(int) string { return "tid00001" }}).Split(tmpl, evil); !errors.Is(err, ErrEndLineInBody) {
		t.Errorf("end-line in body: %v", err)
	}
}

func TestChunkReassembleAnyOrder(t *testing.T) {
	body := make([]byte, 10000)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range body {
		body[i] = byte(rng.UintN(256))
	}
	tmpl := validFrame(t)
	for _, size := range []int{1, 7, 2048, 9999, 10000, 20000} {
		chunks, err := Chunker{Size: size, TransactionID: tidOf}.Split(tmpl, body)
		if err != nil {
			t.Fatal(err)
		}
		rng.Shuffle(len(chunks), func(i, j int) { chunks[i], chunks[j] = chunks[j], chunks[i] })
		r := NewReassembler(tmpl.MessageID, Config{MaxChunks: len(body)})
		for i, c := range chunks {
			done, err := r.Add(c)
			if err != nil || done != (i == len(chunks)-1) {
				t.Fatalf("size %d chunk %d: done %v err %v", size, i, done, err)
			}
		}
		if !bytes.Equal(r.Message(), body) || r.Received() != int64(len(body)) || r.Total() != int64(len(body)) {
			t.Fatalf("size %d: reassembled message differs", size)
		}
	}
}

func sendChunk(t testing.TB, start, end, total int64, body string, flag Flag) *Frame {
	f := validFrame(t)
	f.Body, f.Flag = []byte(body), flag
	f.ByteRange = &ByteRange{start, end, total}
	return f
}

func TestReassemblerUnknownTotalAndRepeats(t *testing.T) {
	r := NewReassembler("msg00001", Config{})
	steps := []struct {
		f    *Frame
		done bool
	}{
		{sendChunk(t, 5, Unknown, Unknown, "EFGH", FlagEnd), false},
		{sendChunk(t, 3, 6, Unknown, "cdEF", FlagMore), false}, // overlaps with equal bytes
		{sendChunk(t, 3, 6, Unknown, "cdEF", FlagMore), false}, // repeated
		{sendChunk(t, 1, Unknown, Unknown, "ab", FlagMore), true},
	}
	for i, s := range steps {
		done, err := r.Add(s.f)
		if err != nil || done != s.done {
			t.Fatalf("step %d: done %v err %v", i, done, err)
		}
	}
	if string(r.Message()) != "abcdEFGH" {
		t.Fatalf("Message() = %q", r.Message())
	}
}

func TestReassemblerRejects(t *testing.T) {
	tests := []struct {
		name  string
		cfg   Config
		first *Frame
		bad   *Frame
		want  error
	}{
		{"other message", Config{}, sendChunk(t, 1, 2, 4, "ab", FlagMore), func() *Frame { f := sendChunk(t, 3, 4, 4, "cd", FlagEnd); f.MessageID = "other123"; return f }(), ErrChunkMismatch},
		{"total changes", Config{}, sendChunk(t, 1, 2, 4, "ab", FlagMore), sendChunk(t, 3, 4, 5, "cd", FlagMore), ErrChunkMismatch},
		{"beyond total", Config{}, sendChunk(t, 1, 2, 4, "ab", FlagMore), sendChunk(t, 3, Unknown, 4, "cde", FlagMore), ErrChunkMismatch},
		{"body longer than range", Config{}, sendChunk(t, 1, 2, 4, "ab", FlagMore), sendChunk(t, 3, 3, 4, "cd", FlagMore), ErrChunkMismatch},
		{"conflicting bytes", Config{}, sendChunk(t, 1, 2, 4, "ab", FlagMore), sendChunk(t, 2, 3, 4, "Xc", FlagMore), ErrChunkMismatch},
		{"last chunk short of total", Config{}, sendChunk(t, 1, 2, 4, "ab", FlagMore), sendChunk(t, 2, 3, 4, "bc", FlagEnd), ErrChunkMismatch},
		{"total below received", Config{}, sendChunk(t, 5, 8, Unknown, "efgh", FlagMore), sendChunk(t, 1, 2, 4, "ab", FlagMore), ErrChunkMismatch},
		{"too large", Config{MaxMessageBytes: 3}, sendChunk(t, 1, 2, Unknown, "ab", FlagMore), sendChunk(t, 3, 4, Unknown, "cd", FlagMore), ErrMessageTooLarge},
		{"total too large", Config{MaxMessageBytes: 3}, sendChunk(t, 1, 2, Unknown, "ab", FlagMore), sendChunk(t, 3, 3, 4, "c", FlagMore), ErrMessageTooLarge},
		{"too many chunks", Config{MaxChunks: 1}, sendChunk(t, 1, 2, 4, "ab", FlagMore), sendChunk(t, 3, 4, 4, "cd", FlagEnd), ErrMessageTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReassembler("msg00001", tt.cfg)
			if _, err := r.Add(tt.first); err != nil {
				t.Fatalf("first chunk: %v", err)
			}
			before := r.Received()
			if _, err := r.Add(tt.bad); !errors.Is(err, tt.want) {
				t.Fatalf("Add = %v, want %v", err, tt.want)
			}
			if r.Received() != before || r.Done() {
				t.Fatalf("a refused chunk changed the state: received %d -> %d", before, r.Received())
			}
		})
	}
}

func TestReassemblerAbort(t *testing.T) {
	r := NewReassembler("msg00001", Config{})
	if _, err := r.Add(sendChunk(t, 1, 2, 4, "ab", FlagMore)); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Add(sendChunk(t, 3, 3, 4, "c", FlagAbort)); !errors.Is(err, ErrAborted) {
		t.Fatalf("'#' chunk: %v", err)
	}
	if _, err := r.Add(sendChunk(t, 3, 4, 4, "cd", FlagEnd)); !errors.Is(err, ErrAborted) || r.Done() || r.Message() != nil {
		t.Fatalf("after abort: %v", err)
	}
}
