package sdp

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// iwf is the local end the answer tests use.
func iwf() AnswerConfig {
	return AnswerConfig{Local: Local{
		SessionID: 3900000001, Address: "192.0.2.7", Port: 2855,
		Path:               "msrp://192.0.2.7:2855/iwf0001;tcp",
		AcceptTypes:        []string{"message/cpim", "text/plain"},
		AcceptWrappedTypes: []string{"text/plain", "message/imdn+xml"},
		MaxSize:            1 << 20,
	}}
}

// offerWith returns a one-media offer whose MSRP media carries attrs
// after the path.
func offerWith(proto string, port int, attrs ...Attribute) *Session {
	return &Session{
		Origin: origin("-", "1", "1", "198.51.100.1"), Name: "-",
		Connection: ip4("198.51.100.1"), Times: []Time{{}},
		Media: []Media{{Type: "message", Port: port, Proto: proto, Formats: []string{"*"},
			Attributes: append([]Attribute{attr("path", "msrp://198.51.100.1:40000/peer1;tcp")}, attrs...)}},
	}
}

func TestAnswerRules(t *testing.T) {
	cpim := attr("accept-types", "message/cpim")
	ft := []Attribute{attr("sendonly", ""), attr("accept-types", "image/jpeg"), attr("file-transfer-id", "ft1"),
		attr("file-selector", `name:"a.jpg" type:image/jpeg size:1000`)}
	cases := []struct {
		name   string
		offer  *Session
		config func(*AnswerConfig)
		want   func(*MSRPMedia) // changes to the expected answer from the default
	}{
		{name: "no setup: passive", offer: offerWith(ProtoMSRP, 40000, cpim)},
		{name: "actpass: passive", offer: offerWith(ProtoMSRP, 40000, cpim, attr("setup", "actpass"))},
		{name: "active: passive", offer: offerWith(ProtoMSRP, 40000, cpim, attr("setup", "active"))},
		{name: "passive: active", offer: offerWith(ProtoMSRP, 40000, cpim, attr("setup", "passive")),
			want: func(m *MSRPMedia) { m.Setup = SetupActive }},
		{name: "holdconn: holdconn", offer: offerWith(ProtoMSRP, 40000, cpim, attr("setup", "holdconn")),
			want: func(m *MSRPMedia) { m.Setup = SetupHoldConn }},
		{name: "sendonly: recvonly", offer: offerWith(ProtoMSRP, 40000, cpim, attr("sendonly", "")),
			want: func(m *MSRPMedia) { m.Direction = RecvOnly }},
		{name: "recvonly: sendonly", offer: offerWith(ProtoMSRP, 40000, cpim, attr("recvonly", "")),
			want: func(m *MSRPMedia) { m.Direction = SendOnly }},
		{name: "inactive: inactive", offer: offerWith(ProtoMSRP, 40000, cpim, attr("inactive", "")),
			want: func(m *MSRPMedia) { m.Direction = Inactive }},
		{name: "wildcard offer narrows to local", offer: offerWith(ProtoMSRP, 40000, attr("accept-types", "*")),
			want: func(m *MSRPMedia) { m.AcceptTypes = []string{"message/cpim", "text/plain"} }},
		{name: "type wildcard offer", offer: offerWith(ProtoMSRP, 40000, attr("accept-types", "TEXT/*")),
			want: func(m *MSRPMedia) { m.AcceptTypes = []string{"text/plain"}; m.AcceptWrappedTypes = nil }},
		{name: "local wildcard takes the offer's",
			offer:  offerWith(ProtoMSRP, 40000, attr("accept-types", "image/png text/html")),
			config: func(c *AnswerConfig) { c.AcceptTypes = []string{"*"} },
			want:   func(m *MSRPMedia) { m.AcceptTypes = []string{"image/png", "text/html"}; m.AcceptWrappedTypes = nil }},
		{name: "wrapped types intersected",
			offer: offerWith(ProtoMSRP, 40000, cpim, attr("accept-wrapped-types", "message/imdn+xml image/*")),
			want:  func(m *MSRPMedia) { m.AcceptWrappedTypes = []string{"message/imdn+xml"} }},
		{name: "wrapped types, offer wildcard", offer: offerWith(ProtoMSRP, 40000, cpim, attr("accept-wrapped-types", "*"))},
		{name: "no local wrapped types", offer: offerWith(ProtoMSRP, 40000, cpim),
			config: func(c *AnswerConfig) { c.AcceptWrappedTypes = nil },
			want:   func(m *MSRPMedia) { m.AcceptWrappedTypes = nil }},
		{name: "cema echoed", offer: offerWith(ProtoMSRP, 40000, cpim, attr("msrp-cema", "")),
			want: func(m *MSRPMedia) { m.CEMA = true }},
		{name: "no max-size", offer: offerWith(ProtoMSRP, 40000, cpim),
			config: func(c *AnswerConfig) { c.MaxSize = 0 }, want: func(m *MSRPMedia) { m.MaxSize = 0 }},
		{name: "tls",
			offer: func() *Session {
				s := offerWith(ProtoMSRPS, 40000, cpim)
				s.Media[0].Attributes[0].Value = "msrps://198.51.100.1:40000/peer1;tcp"
				return s
			}(),
			config: func(c *AnswerConfig) {
				c.TLS, c.Path, c.Fingerprint = true, "msrps://192.0.2.7:2855/iwf0001;tcp", "SHA-256 01:02"
			},
			want: func(m *MSRPMedia) {
				m.TLS, m.Path, m.Fingerprint = true, []string{"msrps://192.0.2.7:2855/iwf0001;tcp"}, "SHA-256 01:02"
			}},
		{name: "file push", offer: offerWith(ProtoMSRP, 40000, append(ft, attr("file-range", "1-1000"))...),
			config: func(c *AnswerConfig) { c.AcceptTypes = []string{"message/cpim", "image/*"} },
			want: func(m *MSRPMedia) {
				m.AcceptTypes, m.AcceptWrappedTypes, m.Direction = []string{"image/jpeg"}, nil, RecvOnly
				m.FileSelector = &FileSelector{Name: "a.jpg", Type: "image/jpeg", Size: 1000}
				m.FileTransferID, m.FileRange = "ft1", &FileRange{1, 1000}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := iwf()
			if c.config != nil {
				c.config(&cfg)
			}
			ans, err := Answer(c.offer, cfg)
			if err != nil {
				t.Fatalf("Answer: %v", err)
			}
			want := MSRPMedia{Path: []string{"msrp://192.0.2.7:2855/iwf0001;tcp"},
				AcceptTypes: []string{"message/cpim"}, AcceptWrappedTypes: []string{"text/plain", "message/imdn+xml"},
				MaxSize: 1 << 20, Setup: SetupPassive, Direction: SendRecv}
			if c.want != nil {
				c.want(&want)
			}
			assertAnswer(t, ans, cfg, want)
		})
	}
}

// assertAnswer checks the session lines of an answer and its MSRP media,
// and that it survives Marshal and Parse.
func assertAnswer(t *testing.T, ans *Session, cfg AnswerConfig, want MSRPMedia) {
	t.Helper()
	b, err := ans.Marshal()
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	again := mustParse(t, b)
	if !reflect.DeepEqual(again, ans) {
		t.Fatalf("answer does not survive Marshal and Parse:\n%s", b)
	}
	if ans.Origin.Address != cfg.Address || ans.Origin.SessionID != "3900000001" || ans.Connection.Address != cfg.Address {
		t.Errorf("o= / c=: %+v %+v", ans.Origin, ans.Connection)
	}
	m := &ans.Media[0]
	if m.Port != cfg.Port || !reflect.DeepEqual(m.Formats, []string{"*"}) {
		t.Errorf("m= line: %+v", m)
	}
	got, err := MSRPMediaOf(m)
	if err != nil {
		t.Fatalf("MSRPMediaOf(answer): %v\n%s", err, b)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("answer:\n got %+v\nwant %+v\n%s", got, want, b)
	}
}

func TestAnswerNotAcceptable(t *testing.T) {
	cpim := attr("accept-types", "message/cpim")
	ft := func(extra ...Attribute) *Session {
		return offerWith(ProtoMSRP, 40000, append([]Attribute{attr("accept-types", "message/cpim"),
			attr("file-selector", `name:"a.jpg" size:2000000`)}, extra...)...)
	}
	audio := offerWith(ProtoMSRP, 40000, cpim)
	audio.Media = []Media{{Type: "audio", Port: 4000, Proto: "RTP/AVP", Formats: []string{"0"}}}
	cases := map[string]*Session{
		"nil offer":                 nil,
		"no media":                  {Origin: origin("-", "1", "1", "a"), Times: []Time{{}}},
		"audio only":                audio,
		"port 0":                    offerWith(ProtoMSRP, 0, cpim),
		"tls offered to plain iwf":  offerWith(ProtoMSRPS, 40000, cpim),
		"missing path":              {Media: []Media{{Type: "message", Port: 1, Proto: ProtoMSRP, Formats: []string{"*"}, Attributes: []Attribute{cpim}}}},
		"no types in common":        offerWith(ProtoMSRP, 40000, attr("accept-types", "image/png")),
		"cpim without wrapped type": offerWith(ProtoMSRP, 40000, cpim, attr("accept-wrapped-types", "image/png")),
		"file pull":                 ft(attr("recvonly", ""), attr("file-transfer-id", "x")),
		"file push without id":      ft(attr("sendonly", "")),
		"file larger than max-size": ft(attr("sendonly", ""), attr("file-transfer-id", "x")),
	}
	for name, offer := range cases {
		if ans, err := Answer(offer, iwf()); !errors.Is(err, ErrNotAcceptable) {
			t.Errorf("%s: Answer = %+v, %v; want ErrNotAcceptable", name, ans, err)
		}
	}
	_, err := Answer(offerWith(ProtoMSRP, 40000, attr("accept-types", "text")), iwf())
	if !errors.Is(err, ErrNotAcceptable) || !errors.Is(err, ErrMalformed) {
		t.Errorf("malformed MSRP media: %v; want ErrNotAcceptable and ErrMalformed", err)
	}
}

// TestAnswerKeepsMediaOrder answers an offer of audio, a TLS message
// stream iwf does not take, and a plain one it does: RFC 3264 wants as
// many m= lines as offered, the refused ones on port 0.
func TestAnswerKeepsMediaOrder(t *testing.T) {
	offer := offerWith(ProtoMSRP, 40000, attr("accept-types", "*"))
	plain := offer.Media[0]
	offer.Media = []Media{
		{Type: "audio", Port: 4000, Proto: "RTP/AVP", Formats: []string{"0", "8"}},
		{Type: "message", Port: 40002, Proto: ProtoMSRPS, Formats: []string{"*"},
			Attributes: []Attribute{attr("path", "msrps://198.51.100.1:40002/p;tcp"), attr("accept-types", "*")}},
		plain,
		plain,
	}
	ans, err := Answer(offer, iwf())
	if err != nil {
		t.Fatal(err)
	}
	if len(ans.Media) != 4 {
		t.Fatalf("answer has %d media", len(ans.Media))
	}
	for i, wantPort := range []int{0, 0, 2855, 0} {
		m := ans.Media[i]
		if m.Port != wantPort || m.Type != offer.Media[i].Type || m.Proto != offer.Media[i].Proto {
			t.Errorf("media %d = %+v", i, m)
		}
	}
	if !reflect.DeepEqual(ans.Media[0].Formats, []string{"0", "8"}) || ans.Media[0].Attributes != nil {
		t.Errorf("rejected audio = %+v", ans.Media[0])
	}
}

func TestLocalValidate(t *testing.T) {
	cases := map[string]func(*Local){
		"no address":          func(l *Local) { l.Address = "" },
		"port 0":              func(l *Local) { l.Port = 0 },
		"port 65536":          func(l *Local) { l.Port = 65536 },
		"path not msrp":       func(l *Local) { l.Path = "sip:iwf@192.0.2.7" },
		"path port differs":   func(l *Local) { l.Path = "msrp://192.0.2.7:2856/iwf0001;tcp" },
		"msrps without tls":   func(l *Local) { l.Path = "msrps://192.0.2.7:2855/iwf0001;tcp" },
		"tls with msrp":       func(l *Local) { l.TLS = true },
		"no accept-types":     func(l *Local) { l.AcceptTypes = nil },
		"bad accept-type":     func(l *Local) { l.AcceptTypes = []string{"cpim"} },
		"bad wrapped type":    func(l *Local) { l.AcceptWrappedTypes = []string{"a/b c"} },
		"negative max-size":   func(l *Local) { l.MaxSize = -1 },
		"username with space": func(l *Local) { l.Username = "i w f" },
		"fingerprint with LF": func(l *Local) { l.Fingerprint = "SHA-1 00\n" },
	}
	for name, breakIt := range cases {
		cfg := iwf()
		breakIt(&cfg.Local)
		if err := cfg.Validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Validate = %v", name, err)
		}
		if _, err := Answer(offerWith(ProtoMSRP, 1, attr("accept-types", "*")), cfg); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Answer = %v", name, err)
		}
		if _, err := Offer(OfferConfig{Local: cfg.Local}); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Offer = %v", name, err)
		}
	}
	cfg := iwf()
	cfg.Path = "msrp://iwf.example.net/iwf0001;tcp" // no port in the URI
	if err := cfg.Validate(); err != nil {
		t.Errorf("path without port: %v", err)
	}
}

func TestOffer(t *testing.T) {
	c := OfferConfig{Local: iwf().Local, Direction: SendOnly, CEMA: true}
	c.Address = "2001:db8::7"
	s, err := Offer(c)
	if err != nil {
		t.Fatal(err)
	}
	if s.Origin.AddrType != "IP6" || s.Connection.AddrType != "IP6" || s.Origin.Username != "-" || s.Name != "-" {
		t.Errorf("session lines: %+v %+v", s.Origin, s.Connection)
	}
	b, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := MSRPMediaOf(&mustParse(t, b).Media[0])
	if err != nil {
		t.Fatal(err)
	}
	want := MSRPMedia{Path: []string{c.Path}, AcceptTypes: c.AcceptTypes, AcceptWrappedTypes: c.AcceptWrappedTypes,
		MaxSize: c.MaxSize, Setup: SetupActPass, Direction: SendOnly, CEMA: true}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("offer:\n got %+v\nwant %+v", got, want)
	}

	fs := &FileSelector{Name: "photo 1.jpg", Type: "image/jpeg", Size: 4096}
	c = OfferConfig{Local: iwf().Local, Setup: SetupPassive, Direction: SendOnly, FileSelector: fs}
	if _, err := Offer(c); !errors.Is(err, ErrInvalid) {
		t.Errorf("file offer without file-transfer-id: %v", err)
	}
	c.FileTransferID, c.FileDisposition = "ft42", "attachment"
	s, err = Offer(c)
	if err != nil {
		t.Fatal(err)
	}
	got, err = MSRPMediaOf(&s.Media[0])
	if err != nil || got.Setup != SetupPassive || *got.FileSelector != *fs || got.FileTransferID != "ft42" || got.FileDisposition != "attachment" {
		t.Errorf("file offer: %+v, %v", got, err)
	}
	c.FileSelector = &FileSelector{Type: "image", Size: -1}
	if _, err := Offer(c); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad file-selector: %v", err)
	}
}

// TestAnswerGolden compares iwf's answer to the rcsjta chat offer with
// testdata/iwf_answer_rcsjta_chat.sdp byte for byte.
func TestAnswerGolden(t *testing.T) {
	ans, err := Answer(mustParse(t, readGolden(t, "rcsjta_chat_offer.sdp")), iwf())
	if err != nil {
		t.Fatal(err)
	}
	b, err := ans.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	const name = "iwf_answer_rcsjta_chat.sdp"
	if os.Getenv("SDP_UPDATE_GOLDEN") != "" {
		if err := os.WriteFile(filepath.Join("testdata", name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if want := readGolden(t, name); string(b) != string(want) {
		t.Errorf("answer:\n%s\nwant\n%s", b, want)
	}
	if strings.Count(string(b), "\n") != strings.Count(string(b), "\r\n") {
		t.Error("answer has bare LF")
	}
}
