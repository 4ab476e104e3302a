package kafka

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSeqSetMatchesSortedSlice drives a seqSet and a sorted slice with
// the same random adds (mostly appends, as new entries are) and removes,
// and compares every Ascend.
func TestSeqSetMatchesSortedSlice(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var s seqSet
	var want []uint64
	next := uint64(1000)
	for step := range 20_000 {
		switch r := rng.IntN(10); {
		case r < 6:
			next += uint64(rng.IntN(3) + 1)
			s.Add(next)
			want = insertSorted(want, next)
		case r < 8:
			seq := uint64(rng.IntN(int(next) + 10))
			s.Add(seq)
			want = insertSorted(want, seq)
		default:
			var seq uint64
			if len(want) > 0 && rng.IntN(4) > 0 {
				seq = want[rng.IntN(len(want))]
			} else {
				seq = uint64(rng.IntN(int(next) + 10))
			}
			s.Remove(seq)
			if i, ok := slices.BinarySearch(want, seq); ok {
				want = slices.Delete(want, i, i+1)
			}
		}
		if s.Len() != len(want) {
			t.Fatalf("step %d: Len %d, want %d", step, s.Len(), len(want))
		}
		if step%500 == 0 {
			checkAscend(t, &s, want, 0)
			checkAscend(t, &s, want, uint64(rng.IntN(int(next)+10)))
		}
	}
	checkAscend(t, &s, want, 0)
}

func insertSorted(s []uint64, v uint64) []uint64 {
	i, ok := slices.BinarySearch(s, v)
	if ok {
		return s
	}
	return slices.Insert(s, i, v)
}

func checkAscend(t *testing.T, s *seqSet, sorted []uint64, after uint64) {
	t.Helper()
	var got []uint64
	s.Ascend(after, func(seq uint64) bool {
		got = append(got, seq)
		return true
	})
	i, _ := slices.BinarySearch(sorted, after+1)
	if !slices.Equal(got, sorted[i:]) {
		t.Fatalf("Ascend(%d) yielded %d Seqs, want %d", after, len(got), len(sorted[i:]))
	}
	for k := 1; k < len(s.blocks); k++ {
		if len(s.blocks[k]) == 0 || len(s.blocks[k]) > seqBlock || s.blocks[k-1][len(s.blocks[k-1])-1] >= s.blocks[k][0] {
			t.Fatalf("blocks out of shape at %d", k)
		}
	}
}

func TestSeqSetAscendStops(t *testing.T) {
	var s seqSet
	for i := range uint64(2000) {
		s.Add(i * 2)
	}
	n := 0
	s.Ascend(100, func(seq uint64) bool {
		n++
		return seq < 110
	})
	if n != 5 { // 102 104 106 108 110
		t.Errorf("Ascend stopped after %d calls, want 5", n)
	}
	s.Ascend(^uint64(0), func(uint64) bool { t.Fatal("Ascend past the largest Seq yielded"); return false })
}
