package mm7

import (
	"bytes"
	"errors"
	"io"
	"mime/multipart"
	"reflect"
	"strings"
	"testing"
)

// TestSplitMultipart reads the forms RFC 2046 5.1.1 allows around the
// delimiters, and refuses broken bodies.
func TestSplitMultipart(t *testing.T) {
	type part struct{ ct, content string }
	for _, tc := range []struct {
		name, body string
		want       []part
	}{
		{"CRLF, preamble and epilogue",
			"preamble\r\n--b\r\nContent-Type: text/plain\r\n\r\none\r\n--b\r\nContent-Type: image/png\r\n\r\n\x00two\r\n\r\n--b--\r\nepilogue",
			[]part{{"text/plain", "one"}, {"image/png", "\x00two\r\n"}}},
		{"LF only", "--b\nContent-Type: a/b\n\nx\n--b--\n", []part{{"a/b", "x"}}},
		{"padding after delimiters", "--b \t\r\nContent-Type: a/b\r\n\r\nx\r\n--b\t\r\n\r\ny\r\n--b--", []part{{"a/b", "x"}, {"", "y"}}},
		{"empty content", "--b\r\nContent-Type: a/b\r\n\r\n--b--", []part{{"a/b", ""}}},
		{"boundary inside content", "--b\r\n\r\nx--b\r\n--bc\r\n--b--\r\n--b--", []part{{"", "x--b\r\n--bc"}}},
	} {
		raws, err := splitMultipart([]byte(tc.body), "b", 10)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		var got []part
		for _, r := range raws {
			got = append(got, part{r.header.Get("Content-Type"), string(r.content)})
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
	for _, tc := range []struct{ name, body string }{
		{"no delimiter", "just text\r\n"},
		{"no close delimiter", "--b\r\n\r\nx\r\n"},
		{"cut after a delimiter line", "--b\r\n\r\nx\r\n--b\r\n"},
		{"cut in a header", "--b\r\nContent-Type: a/b"},
		{"no end of header", "--b\r\nContent-Type: a/b\r\n--b--"},
		{"bad header line", "--b\r\nnot a header\r\n\r\nx\r\n--b--"},
	} {
		if _, err := splitMultipart([]byte(tc.body), "b", 10); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
	three := "--b\r\n\r\n1\r\n--b\r\n\r\n2\r\n--b\r\n\r\n3\r\n--b--"
	if _, err := splitMultipart([]byte(three), "b", 2); !errors.Is(err, ErrTooManyParts) {
		t.Errorf("3 parts with at most 2: got %v, want ErrTooManyParts", err)
	}
}

// FuzzSplitMultipart checks splitMultipart against mime/multipart: a body
// the standard library reads parts from, and that is not cut short, must
// give the same parts, header and content.
func FuzzSplitMultipart(f *testing.F) {
	f.Add([]byte("--b\r\nContent-Type: text/plain\r\n\r\none\r\n--b\r\n\r\ntwo\r\n--b--\r\n"), "b")
	f.Add([]byte("pre\n--xyz \nA: 1\n\n\n--xyz\n\n--xyz--"), "xyz")
	f.Add([]byte("--b\r\n\r\n--b--"), "b")
	f.Fuzz(func(t *testing.T, body []byte, boundary string) {
		if boundary == "" || len(boundary) > 70 || strings.ContainsAny(boundary, "\r\n") {
			return
		}
		mine, err := splitMultipart(body, boundary, 100)
		theirs, stdErr := stdParts(body, boundary)
		if stdErr != nil || len(theirs) == 0 || len(theirs) > 100 || errors.Is(err, errCutShort) {
			// Refused by both; or cut short, which mime/multipart takes
			// for the end of the parts.
			return
		}
		if err != nil {
			t.Fatalf("mime/multipart reads %d parts, splitMultipart: %v", len(theirs), err)
		}
		if len(mine) != len(theirs) {
			t.Fatalf("%d parts, mime/multipart %d", len(mine), len(theirs))
		}
		for i := range mine {
			if !reflect.DeepEqual(map[string][]string(mine[i].header), map[string][]string(theirs[i].header)) ||
				!bytes.Equal(mine[i].content, theirs[i].content) {
				t.Fatalf("part %d: %q %q, mime/multipart %q %q", i, mine[i].header, mine[i].content, theirs[i].header, theirs[i].content)
			}
		}
	})
}

// stdParts reads body with mime/multipart.
func stdParts(body []byte, boundary string) ([]rawPart, error) {
	r := multipart.NewReader(bytes.NewReader(body), boundary)
	var parts []rawPart
	for len(parts) <= 100 {
		p, err := r.NextRawPart()
		if err == io.EOF {
			return parts, nil
		}
		if err != nil {
			return nil, err
		}
		content, err := io.ReadAll(p)
		if err != nil {
			return nil, err
		}
		parts = append(parts, rawPart{header: p.Header, content: content})
	}
	return parts, nil
}
