package sdp

import (
	"bytes"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzParse checks that whatever Parse accepts marshals, that the
// encoding parses to an equal Session and re-encodes to the same bytes,
// that every MSRP media description survives MSRPMediaOf, Media and
// MSRPMediaOf unchanged, and that an answer to it, if any, marshals and
// parses back.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.sdp"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed files: %v", err)
	}
	for _, name := range files {
		f.Add(readGolden(f, filepath.Base(name)))
	}
	f.Add([]byte(chat))
	f.Add([]byte("v=0\no=- 0 0 IN IP6 ::1\ns=\nt=1 2\nr=x\nm=message 1/2 TCP/TLS/MSRP * x\nc=IN IP6 ::1\nb=AS:1\na=path:msrps://[::1]:1/s;tcp\na=accept-types:*\na=file-selector\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error wraps no sentinel: %v", err)
			}
			return
		}
		enc, err := s.Marshal()
		if err != nil {
			t.Fatalf("parsed session does not marshal: %v\n%#v", err, s)
		}
		again, err := Parse(enc)
		if err != nil {
			t.Fatalf("re-parse of %q: %v", enc, err)
		}
		if !reflect.DeepEqual(s, again) {
			t.Fatalf("parse->marshal->parse differs:\n%#v\n%#v", s, again)
		}
		if enc2, err := again.Marshal(); err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding not stable: %q vs %q (%v)", enc, enc2, err)
		}
		for i := range s.Media {
			checkMSRPRoundTrip(t, &s.Media[i])
		}
		checkAnswer(t, s)
	})
}

func checkMSRPRoundTrip(t *testing.T, m *Media) {
	mm, err := MSRPMediaOf(m)
	if err != nil {
		if !errors.Is(err, ErrNotMSRP) && !errors.Is(err, ErrMalformed) {
			t.Fatalf("MSRPMediaOf error wraps no sentinel: %v", err)
		}
		return
	}
	back, err := mm.Media(m.Port)
	if err != nil {
		t.Fatalf("MSRP view does not write back: %v\n%#v", err, mm)
	}
	again, err := MSRPMediaOf(&back)
	if err != nil || !reflect.DeepEqual(mm, again) {
		t.Fatalf("MSRPMediaOf->Media->MSRPMediaOf differs (%v):\n%#v\n%#v", err, mm, again)
	}
}

func checkAnswer(t *testing.T, offer *Session) {
	cfg := AnswerConfig{Local: Local{SessionID: 1, Address: "192.0.2.7", Port: 2855,
		Path: "msrp://192.0.2.7:2855/x;tcp", AcceptTypes: []string{"*"}, AcceptWrappedTypes: []string{"*"}, MaxSize: 1 << 20}}
	ans, err := Answer(offer, cfg)
	if err != nil {
		if !errors.Is(err, ErrNotAcceptable) {
			t.Fatalf("Answer error is not ErrNotAcceptable: %v", err)
		}
		return
	}
	b, err := ans.Marshal()
	if err != nil {
		t.Fatalf("answer does not marshal: %v\n%#v", err, ans)
	}
	if back, err := Parse(b); err != nil || !reflect.DeepEqual(back, ans) {
		t.Fatalf("answer does not parse back (%v):\n%s", err, b)
	}
}

// FuzzFileSelector checks that what ParseFileSelector accepts prints
// and parses back to the same value.
func FuzzFileSelector(f *testing.F) {
	f.Add(rfc5547Selector)
	f.Add(`name:"100%25 %22x%22" type:text/plain;charset="a b" size:0`)
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		fs, err := ParseFileSelector(s)
		if err != nil {
			return
		}
		if err := fs.check(); err != nil {
			t.Fatalf("parsed selector fails check: %v\n%#v", err, fs)
		}
		again, err := ParseFileSelector(fs.String())
		if err != nil || again != fs {
			t.Fatalf("parse->String->parse differs (%v): %q\n%#v\n%#v", err, fs.String(), fs, again)
		}
	})
}
