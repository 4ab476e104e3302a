package gateway

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestChargingFilesRecordAndRotate(t *testing.T) {
	dir := t.TempDir()
	c, err := OpenChargingFiles(ChargingConfig{Dir: dir, MaxBytes: 600}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		c.Charge(Event{Time: time.Date(2026, 11, 27, 10, 0, i, 0, time.UTC), Type: EventDelivered, Network: NetworkSMS,
			Direction: ToLegacy, Route: "smsc1", ID: "m", Seq: uint64(i + 1), From: "tel:+1", To: "tel:+2", Parts: 1, Bytes: 5, Segments: 1})
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "charging-*.jsonl"))
	if len(files) < 2 {
		t.Fatalf("no rotation at 600 bytes: %v", files)
	}
	var seqs []uint64
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		st, _ := fh.Stat()
		if st.Size() > 600 {
			t.Errorf("%s is %d bytes", f, st.Size())
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			var r ChargingRecord
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if r.Event != EventDelivered || r.Network != "sms" || r.Bytes != 5 || r.Segments != 1 {
				t.Errorf("record %+v", r)
			}
			seqs = append(seqs, r.Seq)
		}
		fh.Close()
	}
	if len(seqs) != 6 {
		t.Errorf("%d records, want 6: %v", len(seqs), seqs)
	}
}

func TestChargingFromTraffic(t *testing.T) {
	h := unstartedHarness(t)
	dir := t.TempDir()
	c, err := OpenChargingFiles(ChargingConfig{Dir: dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	h.extend = func(d *Deps) { d.Charging = c }
	h.start()
	if err := h.g.AcceptFromCPM(context.Background(), textMessage("ch-1", "tel:+447700900123", "charge me", 0)); err != nil {
		t.Fatal(err)
	}
	h.eventually("sent", func() bool { return h.g.Stats().Submitted == 1 })
	h.stop()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	b, _ := os.ReadFile(files[0])
	var events []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var r ChargingRecord
		_ = json.Unmarshal(sc.Bytes(), &r)
		events = append(events, string(r.Event)+"/"+r.MessageID)
	}
	if len(events) != 2 || events[0] != "accepted/ch-1" || events[1] != "sent/ch-1" {
		t.Errorf("charging records %v", events)
	}
}
