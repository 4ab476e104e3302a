package msrp

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// sharedSamples is ../shared/specs/cpm/samples seen from this package.
const sharedSamples = "../../../../shared/specs/cpm/samples"

func mustURI(t testing.TB, s string) URI {
	t.Helper()
	u, err := ParseURI(s)
	if err != nil {
		t.Fatalf("ParseURI(%q): %v", s, err)
	}
	return u
}

func path(t testing.TB, s string) []URI { return []URI{mustURI(t, s)} }

func readGolden(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readShared(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(sharedSamples, name))
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("shared specs not present at %s: %v", sharedSamples, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func goldenFrames(t *testing.T) map[string]*Frame {
	atlanta := "msrp://atlanta.example.com:7654/jshA7weztas;tcp"
	biloxi := "msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp"
	alice := "msrp://alicepc.example.com:7777/iau39soe2843z;tcp"
	bob := "msrp://bob.example.com:8888/9di4eae923wzd;tcp"
	html := "<html><body>\r\n<p>Here is that important link...\r\n" +
		"<a href=\"http://www.example.com/foo\">foo</a>\r\n</p>\r\n</body></html>"
	return map[string]*Frame{
		"rfc4975_7.1.1_send.msrp": {
			TransactionID: "a786hjs2", Method: "SEND",
			ToPath: path(t, biloxi), FromPath: path(t, atlanta),
			MessageID: "87652491", ByteRange: &ByteRange{1, 25, 25},
			ContentType: "text/plain", Body: []byte("Hey Bob, are you there?"), Flag: FlagEnd,
		},
		"rfc4975_7.1.1_200ok.msrp": {
			TransactionID: "a786hjs2", Code: 200, Comment: "OK",
			ToPath: path(t, atlanta), FromPath: path(t, biloxi), Flag: FlagEnd,
		},
		"rfc4975_7.1.2_send.msrp": {
			TransactionID: "d93kswow", Method: "SEND",
			ToPath: path(t, bob), FromPath: path(t, alice),
			MessageID: "12339sdqwer", ByteRange: &ByteRange{1, 106, 106},
			SuccessReport: "yes", FailureReport: "no",
			ContentType: "text/html", Body: []byte(html), Flag: FlagEnd,
		},
		"rfc4975_7.1.2_report.msrp": {
			TransactionID: "dkei38sd", Method: "REPORT",
			ToPath: path(t, alice), FromPath: path(t, bob),
			MessageID: "12339sdqwer", ByteRange: &ByteRange{1, 106, 106},
			Status: &Status{Namespace: 0, Code: 200, Comment: "OK"}, Flag: FlagEnd,
		},
		"rfc4975_5.1_chunk1.msrp": {
			TransactionID: "dkei38sd", Method: "SEND",
			ToPath: path(t, alice), FromPath: path(t, bob),
			MessageID: "4564dpWd", ByteRange: &ByteRange{1, Unknown, 8},
			ContentType: "text/plain", Body: []byte("abcd"), Flag: FlagMore,
		},
		"rfc4975_5.1_chunk2.msrp": {
			TransactionID: "dkei38ia", Method: "SEND",
			ToPath: path(t, alice), FromPath: path(t, bob),
			MessageID: "4564dpWd", ByteRange: &ByteRange{5, 8, 8},
			ContentType: "text/plain", Body: []byte("EFGH"), Flag: FlagEnd,
		},
	}
}

// checkGolden asserts that wire decodes to want field by field and that
// want marshals back to exactly wire.
func checkGolden(t *testing.T, wire []byte, want *Frame) {
	t.Helper()
	got, err := Unmarshal(wire, Config{})
	if err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Unmarshal:\n got %#v\nwant %#v", got, want)
	}
	enc, err := want.Marshal()
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	if !bytes.Equal(enc, wire) {
		t.Errorf("Marshal:\n got %q\nwant %q", enc, wire)
	}
}

func TestGoldenRFC4975(t *testing.T) {
	for name, want := range goldenFrames(t) {
		t.Run(name, func(t *testing.T) { checkGolden(t, readGolden(t, name), want) })
	}
}

func TestGoldenSharedSamples(t *testing.T) {
	frames := goldenFrames(t)
	t.Run("msrp_200-ok", func(t *testing.T) {
		checkGolden(t, readShared(t, "msrp_200-ok.msrp"), frames["rfc4975_7.1.1_200ok.msrp"])
	})
	t.Run("msrp_report_success", func(t *testing.T) {
		checkGolden(t, readShared(t, "msrp_report_success.msrp"), frames["rfc4975_7.1.2_report.msrp"])
	})
}

func TestGoldenChunksReassemble(t *testing.T) {
	frames := goldenFrames(t)
	r := NewReassembler("4564dpWd", Config{})
	for i, name := range []string{"rfc4975_5.1_chunk2.msrp", "rfc4975_5.1_chunk1.msrp"} {
		f, err := Unmarshal(readGolden(t, name), Config{})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(f, frames[name]) {
			t.Fatalf("%s decoded as %#v", name, f)
		}
		done, err := r.Add(f)
		if err != nil || done != (i == 1) {
			t.Fatalf("Add(%s) = %v, %v", name, done, err)
		}
	}
	if got := string(r.Message()); got != "abcdEFGH" {
		t.Fatalf("Message() = %q, want abcdEFGH", got)
	}
}
