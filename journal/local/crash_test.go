package local

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/iwf-gateway/iwf/journal"
)

const crashEnv = "IWF_JOURNAL_CRASH_PATH"

// TestMain turns the test binary into the writing process that
// TestKillLosesNothing kills, when crashEnv is set.
func TestMain(m *testing.M) {
	if path := os.Getenv(crashEnv); path != "" {
		crashChild(path)
	}
	os.Exit(m.Run())
}

// crashChild writes from 8 goroutines with fsync on and prints the Seq of
// every entry once its Put returned nil, until it is killed (or gives up).
func crashChild(path string) {
	j, err := Open(Config{Path: path}, nil)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	var out sync.Mutex
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				es := []journal.Entry{
					{State: journal.Open, Refs: []string{fmt.Sprintf("m-%d-%d", w, i)}, Data: []byte("payload")},
					{State: journal.Dead, Data: []byte("second")},
				}
				if err := j.Put(context.Background(), es); err != nil {
					fmt.Println("put:", err)
					os.Exit(2)
				}
				out.Lock()
				fmt.Printf("%d\n%d\n", es[0].Seq, es[1].Seq)
				out.Unlock()
			}
		})
	}
	wg.Wait()
	os.Exit(1) // never Close
}

// TestKillLosesNothing kills a writing process with SIGKILL and checks
// that every entry it was told was committed is there after reopening,
// and that new Seqs continue above them.
func TestKillLosesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	committed := readCommitted(t, sc, 2000)
	cmd.Process.Kill()
	for sc.Scan() { // acknowledged before the kill landed
		if seq, err := strconv.ParseUint(sc.Text(), 10, 64); err == nil {
			committed = append(committed, seq)
		}
	}
	cmd.Wait()
	if len(committed) < 2000 {
		t.Fatalf("child acknowledged only %d entries", len(committed))
	}
	j := openTest(t, Config{Path: path})
	var high uint64
	for _, seq := range committed {
		if _, err := j.Get(context.Background(), seq); err != nil {
			t.Fatalf("acknowledged entry %d lost after kill: %v", seq, err)
		}
		high = max(high, seq)
	}
	next := put(t, j, journal.Entry{State: journal.Open})[0]
	if next.Seq <= high {
		t.Errorf("Seq after crash = %d, want above %d", next.Seq, high)
	}
	t.Logf("%d acknowledged entries survived SIGKILL", len(committed))
}

// readCommitted reads Seqs from the child until it has n of them.
func readCommitted(t *testing.T, sc *bufio.Scanner, n int) []uint64 {
	t.Helper()
	var seqs []uint64
	for len(seqs) < n && sc.Scan() {
		seq, err := strconv.ParseUint(sc.Text(), 10, 64)
		if err != nil {
			t.Fatalf("child: %s", sc.Text())
		}
		seqs = append(seqs, seq)
	}
	return seqs
}
