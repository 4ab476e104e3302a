package wv

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
)

// FuzzDecode checks that whatever Decode accepts re-encodes, in the version
// it came in and in the other one, and decodes back to the same Message;
// and that whatever it refuses is refused with one of its sentinels. The
// seed corpus in testdata/fuzz/FuzzDecode holds the golden files, the
// shared samples (DOCTYPE stripped) and the refused inputs of the tests.
func FuzzDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(data)
		if err != nil {
			if !ours(err) {
				t.Fatalf("error %v wraps no sentinel of the package", err)
			}
			if m.Transactions != nil {
				t.Fatalf("message returned with error %v", err)
			}
			return
		}
		// Escaping may grow the text, so the second decode is unbounded in size.
		roomy := Limits{MaxSize: 1 << 30}
		for _, v := range []Version{m.Version, otherVersion(m.Version)} {
			b, err := Encode(m, v)
			if err != nil {
				t.Fatalf("Encode(%v) of a decoded message: %v", v, err)
			}
			back, err := roomy.Decode(b)
			if err != nil {
				t.Fatalf("Decode(Encode(%v)): %v\n%s", v, err, b)
			}
			want := m
			want.Version = v
			if !reflect.DeepEqual(back, want) {
				t.Fatalf("round trip %v changed the message:\n got %#v\nwant %#v", v, back, want)
			}
		}
	})
}

func otherVersion(v Version) Version {
	if v == Version11 {
		return Version12
	}
	return Version11
}

// TestFuzzSeeds checks that the FuzzDecode seed corpus holds every golden
// file; with -update it rewrites the corpus first.
func TestFuzzSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzDecode")
	if *update {
		writeFuzzSeeds(t, dir)
	}
	golden, err := filepath.Glob(filepath.Join("testdata", "golden", "*.xml"))
	if err != nil || len(golden) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, g := range golden {
		b, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		seed, err := os.ReadFile(filepath.Join(dir, "golden_"+filepath.Base(g)))
		if err != nil {
			t.Fatalf("seed for %s: %v (run go test -run TestFuzzSeeds -update)", g, err)
		}
		if want := fuzzSeed(b); string(seed) != want {
			t.Errorf("seed for %s is stale (run go test -run TestFuzzSeeds -update)", g)
		}
	}
}

func fuzzSeed(b []byte) string {
	return fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(b)))
}

func writeFuzzSeeds(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	seeds := map[string][]byte{}
	golden, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.xml"))
	for _, g := range golden {
		b, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		seeds["golden_"+filepath.Base(g)] = b
	}
	if _, err := os.Stat(samplesDir); err == nil {
		samples, _ := filepath.Glob(filepath.Join(samplesDir, "*.xml"))
		for _, s := range samples {
			seeds["sample_"+filepath.Base(s)] = readSample(t, filepath.Base(s))
		}
	}
	seeds["refused_doctype"] = []byte(`<!DOCTYPE x [<!ENTITY e "x">]>` + doc(`<Logout-Request/>`))
	seeds["refused_two_primitives"] = []byte(doc(`<Logout-Request/><Polling-Request/>`))
	seeds["refused_bad_bool"] = []byte(doc(`<SendMessage-Request><DeliveryReport>yes</DeliveryReport></SendMessage-Request>`))
	for name, b := range seeds {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(fuzzSeed(b)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func BenchmarkDecodeSendMessageRequest(b *testing.B) {
	data, err := Encode(request("IMApp01#7", sendMessageRequest()), Version11)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeSendMessageRequest(b *testing.B) {
	m := request("IMApp01#7", sendMessageRequest())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Encode(m, Version11); err != nil {
			b.Fatal(err)
		}
	}
}
