package sdp

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func readGolden(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustParse(t testing.TB, b []byte) *Session {
	t.Helper()
	s, err := Parse(b)
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, b)
	}
	return s
}

func ip4(addr string) *Connection { return &Connection{NetType: "IN", AddrType: "IP4", Address: addr} }

func origin(user, id, version, addr string) Origin {
	return Origin{Username: user, SessionID: id, SessionVersion: version, NetType: "IN", AddrType: "IP4", Address: addr}
}

func msrpMedia(port int, attrs ...Attribute) []Media {
	return []Media{{Type: "message", Port: port, Proto: "TCP/MSRP", Formats: []string{"*"}, Attributes: attrs}}
}

func attr(name, value string) Attribute { return Attribute{Name: name, Value: value} }

const rfc5547Hash = "sha-1:72:24:5F:E8:65:3D:DA:F3:71:36:2F:86:D4:71:91:3E:E4:A2:CE:2E"

var rfc5547Selector = `name:"My cool picture.jpg" type:image/jpeg size:32349 hash:` + rfc5547Hash

// goldens are the session descriptions of testdata/, as Parse must read
// them field by field, and their MSRP view. Sources: testdata/README.md.
var goldens = []struct {
	file string
	want *Session
	msrp MSRPMedia
}{
	{
		file: "rfc4975_4_offer.sdp",
		want: &Session{
			Origin: origin("alice", "2890844557", "2890844559", "alicepc.example.com"),
			Name:   " -", Connection: ip4("alicepc.example.com"), Times: []Time{{}},
			Media: msrpMedia(7777,
				attr("accept-types", "text/plain"),
				attr("path", "msrp://alicepc.example.com:7777/iau39soe2843z;tcp")),
		},
		msrp: MSRPMedia{Path: []string{"msrp://alicepc.example.com:7777/iau39soe2843z;tcp"},
			AcceptTypes: []string{"text/plain"}, Direction: SendRecv},
	},
	{
		file: "rfc4975_4_answer.sdp",
		want: &Session{
			Origin: origin("bob", "2890844612", "2890844616", "bob.example.com"),
			Name:   " -", Connection: ip4("bob.example.com"), Times: []Time{{}},
			Media: msrpMedia(8888,
				attr("accept-types", "text/plain"),
				attr("path", "msrp://bob.example.com:8888/9di4eae923wzd;tcp")),
		},
		msrp: MSRPMedia{Path: []string{"msrp://bob.example.com:8888/9di4eae923wzd;tcp"},
			AcceptTypes: []string{"text/plain"}, Direction: SendRecv},
	},
	{
		file: "rfc4975_8_offer.sdp",
		want: &Session{
			Origin: origin("alice", "2890844526", "2890844527", "alice.example.com"),
			Name:   " -", Connection: ip4("alice.example.com"), Times: []Time{{}},
			Media: msrpMedia(7394,
				attr("accept-types", "text/plain"),
				attr("path", "msrp://alice.example.com:7394/2s93i9ek2a;tcp")),
		},
		msrp: MSRPMedia{Path: []string{"msrp://alice.example.com:7394/2s93i9ek2a;tcp"},
			AcceptTypes: []string{"text/plain"}, Direction: SendRecv},
	},
	{
		file: "rfc5547_9.1_offer.sdp",
		want: &Session{
			Origin: origin("alice", "2890844526", "2890844526", "host.atlanta.example.com"),
			Name:   "", Connection: ip4("host.atlanta.example.com"), Times: []Time{{}},
			Media: func() []Media {
				m := msrpMedia(7654,
					attr("sendonly", ""),
					attr("accept-types", "message/cpim"),
					attr("accept-wrapped-types", "*"),
					attr("path", "msrp://atlanta.example.com:7654/jshA7we;tcp"),
					attr("file-selector", rfc5547Selector),
					attr("file-transfer-id", "vBnG916bdberum2fFEABR1FR3ExZMUrd"),
					attr("file-disposition", "attachment"),
					attr("file-date", `creation:"Mon, 15 May 2006 15:01:31 +0300"`),
					attr("file-icon", "cid:id2@alicepc.example.com"),
					attr("file-range", "1-32349"))
				m[0].Info = "This is my latest picture"
				return m
			}(),
		},
		msrp: MSRPMedia{
			Path:        []string{"msrp://atlanta.example.com:7654/jshA7we;tcp"},
			AcceptTypes: []string{"message/cpim"}, AcceptWrappedTypes: []string{"*"}, Direction: SendOnly,
			FileSelector:   &FileSelector{Name: "My cool picture.jpg", Type: "image/jpeg", Size: 32349, Hash: rfc5547Hash},
			FileTransferID: "vBnG916bdberum2fFEABR1FR3ExZMUrd", FileDisposition: "attachment",
			FileDate: `creation:"Mon, 15 May 2006 15:01:31 +0300"`, FileIcon: "cid:id2@alicepc.example.com",
			FileRange: &FileRange{Start: 1, Stop: 32349},
		},
	},
	{
		file: "rfc5547_9.1_answer.sdp",
		want: &Session{
			Origin: origin("bob", "2890844656", "2890844656", "host.biloxi.example.com"),
			Name:   "", Connection: ip4("host.biloxi.example.com"), Times: []Time{{}},
			Media: msrpMedia(8888,
				attr("recvonly", ""),
				attr("accept-types", "message/cpim"),
				attr("accept-wrapped-types", "*"),
				attr("path", "msrp://bob.example.com:8888/9di4ea;tcp"),
				attr("file-selector", rfc5547Selector),
				attr("file-transfer-id", "vBnG916bdberum2fFEABR1FR3ExZMUrd"),
				attr("file-range", "1-32349")),
		},
		msrp: MSRPMedia{
			Path:        []string{"msrp://bob.example.com:8888/9di4ea;tcp"},
			AcceptTypes: []string{"message/cpim"}, AcceptWrappedTypes: []string{"*"}, Direction: RecvOnly,
			FileSelector:   &FileSelector{Name: "My cool picture.jpg", Type: "image/jpeg", Size: 32349, Hash: rfc5547Hash},
			FileTransferID: "vBnG916bdberum2fFEABR1FR3ExZMUrd", FileRange: &FileRange{Start: 1, Stop: 32349},
		},
	},
	{
		file: "rcsjta_chat_offer.sdp",
		want: &Session{
			Origin: origin("-", "3667904944", "3667904944", "192.168.1.50"),
			Name:   "-", Connection: ip4("192.168.1.50"), Times: []Time{{}},
			Media: msrpMedia(20000,
				attr("path", "msrp://10.29.67.37:20000/1391503972255;tcp"),
				attr("setup", "actpass"),
				attr("accept-types", "message/cpim application/im-iscomposing+xml"),
				attr("accept-wrapped-types", "text/plain message/imdn+xml application/vnd.gsma.rcspushlocation+xml application/vnd.gsma.rcs-ft-http+xml"),
				attr("sendrecv", "")),
		},
		msrp: MSRPMedia{
			Path:        []string{"msrp://10.29.67.37:20000/1391503972255;tcp"},
			AcceptTypes: []string{"message/cpim", "application/im-iscomposing+xml"},
			AcceptWrappedTypes: []string{"text/plain", "message/imdn+xml",
				"application/vnd.gsma.rcspushlocation+xml", "application/vnd.gsma.rcs-ft-http+xml"},
			Setup: SetupActPass, Direction: SendRecv,
		},
	},
	{
		file: "rcsjta_ft_offer.sdp",
		want: &Session{
			Origin: origin("-", "3600492772", "3600492772", "10.29.67.37"),
			Name:   "-", Connection: ip4("10.29.67.37"), Times: []Time{{}},
			Media: msrpMedia(2000,
				attr("path", "msrp://10.29.67.37:20000/1391503972255;tcp"),
				attr("setup", "actpass"),
				attr("accept-types", " image/jpeg"),
				attr("file-transfer-id", "1391518338244"),
				attr("file-disposition", "attachment"),
				attr("sendonly", ""),
				attr("max-size", "15728640"),
				attr("file-selector", `name:"phototmp_3_1_1_1.jpg" type:image/jpeg size:195490`)),
		},
		msrp: MSRPMedia{
			Path:        []string{"msrp://10.29.67.37:20000/1391503972255;tcp"},
			AcceptTypes: []string{"image/jpeg"}, MaxSize: 15728640, Setup: SetupActPass, Direction: SendOnly,
			FileSelector:   &FileSelector{Name: "phototmp_3_1_1_1.jpg", Type: "image/jpeg", Size: 195490},
			FileTransferID: "1391518338244", FileDisposition: "attachment",
		},
	},
}

func TestGoldens(t *testing.T) {
	for _, g := range goldens {
		t.Run(g.file, func(t *testing.T) {
			b := readGolden(t, g.file)
			s := mustParse(t, b)
			if !reflect.DeepEqual(s, g.want) {
				t.Errorf("Parse:\n got %+v\nwant %+v", s, g.want)
				for i := range s.Media {
					t.Logf("media %d: %+v", i, s.Media[i])
				}
			}
			enc, err := s.Marshal()
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if !bytes.Equal(enc, b) {
				t.Errorf("Marshal does not reproduce the file:\n got %q\nwant %q", enc, b)
			}
			mm, err := MSRPMediaOf(&s.Media[0])
			if err != nil {
				t.Fatalf("MSRPMediaOf: %v", err)
			}
			if !reflect.DeepEqual(mm, g.msrp) {
				t.Errorf("MSRPMediaOf:\n got %+v\nwant %+v", mm, g.msrp)
			}
		})
	}
}

// TestGoldensLF checks that LF line endings and a missing final line
// ending read the same as CRLF.
func TestGoldensLF(t *testing.T) {
	for _, g := range goldens {
		b := readGolden(t, g.file)
		lf := bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
		for _, in := range [][]byte{lf, bytes.TrimSuffix(lf, []byte("\n")), bytes.TrimSuffix(b, []byte("\r\n"))} {
			s, err := Parse(in)
			if err != nil || !reflect.DeepEqual(s, g.want) {
				t.Errorf("%s as %q: %v\n got %+v", g.file, in[len(in)-8:], err, s)
			}
		}
	}
}

// TestAnswerAgreesWithRFC answers the RFC offers with the answerer's
// settings and checks that iwf's answer says, in MSRP terms, what the
// RFC's answer says, plus a=setup:passive.
func TestAnswerAgreesWithRFC(t *testing.T) {
	cases := []struct {
		offer, answer string
		local         Local
	}{
		{"rfc4975_4_offer.sdp", "rfc4975_4_answer.sdp", Local{
			Address: "bob.example.com", Port: 8888, Path: "msrp://bob.example.com:8888/9di4eae923wzd;tcp",
			AcceptTypes: []string{"text/plain"},
		}},
		{"rfc5547_9.1_offer.sdp", "rfc5547_9.1_answer.sdp", Local{
			Address: "host.biloxi.example.com", Port: 8888, Path: "msrp://bob.example.com:8888/9di4ea;tcp",
			AcceptTypes: []string{"message/cpim"}, AcceptWrappedTypes: []string{"*"},
		}},
	}
	for _, c := range cases {
		t.Run(c.offer, func(t *testing.T) {
			ans, err := Answer(mustParse(t, readGolden(t, c.offer)), AnswerConfig{Local: c.local})
			if err != nil {
				t.Fatalf("Answer: %v", err)
			}
			got, err := MSRPMediaOf(&ans.Media[0])
			if err != nil {
				t.Fatal(err)
			}
			want, err := MSRPMediaOf(&mustParse(t, readGolden(t, c.answer)).Media[0])
			if err != nil {
				t.Fatal(err)
			}
			want.Setup = SetupPassive
			if !reflect.DeepEqual(got, want) {
				t.Errorf("answer:\n got %+v\nwant %+v", got, want)
			}
			if ans.Media[0].Port != 8888 || ans.Connection.Address != c.local.Address {
				t.Errorf("answer m=/c=: %+v %+v", ans.Media[0], ans.Connection)
			}
		})
	}
}
