package kafka

import "slices"

// seqBlock is the most Seqs one block of a seqSet holds before it splits.
const seqBlock = 512

// seqSet is an ordered set of Seqs: sorted blocks of at most seqBlock
// Seqs, in order. New Seqs are appended at the end, where inserts are
// cheap; a state change inserts into the middle of one block. It is not
// safe for concurrent use.
type seqSet struct {
	blocks [][]uint64 // none empty; every Seq of blocks[i] below every Seq of blocks[i+1]
	n      int
}

// Len is the number of Seqs in the set.
func (s *seqSet) Len() int { return s.n }

// block returns the index of the first block whose last Seq is >= seq,
// or len(s.blocks) if there is none.
func (s *seqSet) block(seq uint64) int {
	i, _ := slices.BinarySearchFunc(s.blocks, seq, func(b []uint64, seq uint64) int {
		if b[len(b)-1] < seq {
			return -1
		}
		return 1
	})
	return i
}

// Add inserts seq; adding a present Seq changes nothing.
func (s *seqSet) Add(seq uint64) {
	if len(s.blocks) == 0 {
		s.blocks = append(s.blocks, []uint64{seq})
		s.n++
		return
	}
	i := min(s.block(seq), len(s.blocks)-1)
	b := s.blocks[i]
	pos, found := slices.BinarySearch(b, seq)
	if found {
		return
	}
	b = slices.Insert(b, pos, seq)
	s.n++
	if len(b) <= seqBlock {
		s.blocks[i] = b
		return
	}
	half := len(b) / 2
	right := slices.Clone(b[half:])
	s.blocks[i] = b[:half:half]
	s.blocks = slices.Insert(s.blocks, i+1, right)
}

// Remove deletes seq if present.
func (s *seqSet) Remove(seq uint64) {
	i := s.block(seq)
	if i == len(s.blocks) {
		return
	}
	b := s.blocks[i]
	pos, found := slices.BinarySearch(b, seq)
	if !found {
		return
	}
	s.n--
	if len(b) == 1 {
		s.blocks = slices.Delete(s.blocks, i, i+1)
		return
	}
	s.blocks[i] = slices.Delete(b, pos, pos+1)
}

// Ascend calls fn for each Seq above after, in order, until fn returns
// false. fn must not change the set.
func (s *seqSet) Ascend(after uint64, fn func(seq uint64) bool) {
	if after == ^uint64(0) {
		return
	}
	for i := s.block(after + 1); i < len(s.blocks); i++ {
		b := s.blocks[i]
		pos, _ := slices.BinarySearch(b, after+1)
		for _, seq := range b[pos:] {
			if !fn(seq) {
				return
			}
		}
	}
}
