package console

import (
	"bytes"
	"io"
	"net"
	"testing"
)

// net.Pipe has no buffer: a Write returns only once read, so a corked Write
// that returns with no reader shows the bytes were gathered.
func TestBatchConnGathersBetweenCorkAndFlush(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	c := &batchConn{Conn: a}
	c.cork()
	for _, p := range []string{"one ", "two ", "three"} {
		if n, err := c.Write([]byte(p)); err != nil || n != len(p) {
			t.Fatalf("corked Write = %d, %v", n, err)
		}
	}
	got := make(chan []byte, 1)
	go func() {
		buf := make([]byte, 64)
		n, _ := io.ReadAtLeast(b, buf, len("one two three"))
		got <- buf[:n]
	}()
	if err := c.flush(); err != nil {
		t.Fatal(err)
	}
	if g := <-got; string(g) != "one two three" {
		t.Errorf("read %q, want one write of the three", g)
	}
	// After flush, writes go straight through.
	go func() {
		buf := make([]byte, 4)
		n, _ := io.ReadFull(b, buf)
		got <- buf[:n]
	}()
	if _, err := c.Write([]byte("four")); err != nil {
		t.Fatal(err)
	}
	if g := <-got; string(g) != "four" {
		t.Errorf("read %q", g)
	}
}

func TestBatchConnWritesOutPastItsBound(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	c := &batchConn{Conn: a}
	big := bytes.Repeat([]byte("x"), maxBatchBytes)
	read := make(chan int, 1)
	go func() {
		n, _ := io.ReadFull(b, make([]byte, len(big)+1))
		read <- n
	}()
	c.cork()
	if _, err := c.Write([]byte("y")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(big); err != nil { // reaches the bound: written while still corked
		t.Fatal(err)
	}
	if n := <-read; n != len(big)+1 {
		t.Errorf("read %d bytes before flush, want %d", n, len(big)+1)
	}
	if err := c.flush(); err != nil {
		t.Fatal(err)
	}
}
