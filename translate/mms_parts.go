package translate

import (
	"fmt"
	"io"
	"mime"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/transform"

	"github.com/iwf-gateway/iwf/adapters/mms/mm7"
	"github.com/iwf-gateway/iwf/cpm"
)

// Content-IDs of the parts SubmitFromMessage adds, and the one mm7.Encode
// keeps for the SOAP envelope, which no attachment may take.
const (
	mmsContainerID  = "mms-content"
	mmsSMILID       = "smil"
	mmsSMILLocation = "mms.smil"
	mm7EnvelopeID   = "mm7-soap-envelope"
	maxContentIDLen = 256
	maxMIMELineLen  = 998 // RFC 5322 2.1.1, which 7bit and 8bit bodies keep to
)

// mmsContent builds the multipart/related attachment of a SubmitReq from
// the parts of a message: SMIL start first when generated, then every part
// in message order.
func mmsContent(parts []cpm.Part) (mm7.Part, error) {
	ids, locations := newNameSet(mm7EnvelopeID), newNameSet()
	leaves := make([]mm7.Part, len(parts))
	types := make([]string, len(parts))
	for i := range parts {
		leaf, mt, err := mmsLeaf(&parts[i])
		if err != nil {
			return mm7.Part{}, err
		}
		leaves[i], types[i] = leaf, mt
		// A part's own id is kept only when it is the first to claim it:
		// a SMIL presentation that names it must find one part.
		if id := parts[i].ContentID; keepableContentID(id) && ids.add(id) {
			leaves[i].ContentID = id
		}
		if name := parts[i].Filename; name != "" {
			leaves[i].ContentLocation = locationOf(name)
			locations.add(leaves[i].ContentLocation)
		}
	}
	start := -1
	for i := range leaves {
		if leaves[i].ContentID == "" {
			leaves[i].ContentID = ids.numbered("part", "")
		}
		if leaves[i].ContentLocation == "" {
			prefix, ext := generatedName(types[i])
			leaves[i].ContentLocation = locations.numbered(prefix, ext)
		}
		if start < 0 && types[i] == "application/smil" {
			start = i
		}
	}
	children := leaves
	var startID string
	if start >= 0 {
		startID = leaves[start].ContentID
	} else {
		smil := mmsSMIL(smilMediaOf(leaves, types))
		startID = ids.unique(mmsSMILID)
		children = append([]mm7.Part{{
			ContentType: "application/smil", ContentID: startID, ContentLocation: locations.unique(mmsSMILLocation),
			TransferEncoding: textTransferEncoding(smil), Body: smil,
		}}, leaves...)
	}
	return mm7.Part{
		ContentType: mime.FormatMediaType("multipart/related", map[string]string{
			"type": "application/smil", "start": "<" + startID + ">",
		}),
		ContentID: ids.unique(mmsContainerID),
		Parts:     children,
	}, nil
}

// mmsLeaf maps one CPM part to an MM7 leaf without Content-ID and
// Content-Location, and returns its lower-case media type.
func mmsLeaf(p *cpm.Part) (mm7.Part, string, error) {
	ct := strings.TrimSpace(p.ContentType)
	if ct == "" {
		ct = "text/plain;charset=utf-8"
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return mm7.Part{}, "", fmt.Errorf("translate: part Content-Type %q: %w: %w", ct, ErrMalformed, err)
	}
	if mt == cpm.IMDNContentType || strings.HasPrefix(mt, "multipart/") {
		return mm7.Part{}, "", fmt.Errorf("translate: %s part in an mms: %w", mt, ErrUnsupportedType)
	}
	leaf := mm7.Part{ContentType: ct, Body: p.Body, TransferEncoding: "base64"}
	switch {
	case strings.HasPrefix(mt, "text/"):
		if params["charset"] == "" {
			params["charset"] = "utf-8"
			leaf.ContentType = ""
		}
		leaf.TransferEncoding = textTransferEncoding(p.Body)
	case mt == "application/smil":
		leaf.TransferEncoding = textTransferEncoding(p.Body)
	}
	if leaf.ContentType == "" || strings.ContainsFunc(leaf.ContentType, isControl) {
		// Written afresh: a header line cannot hold control characters.
		if leaf.ContentType = mime.FormatMediaType(mt, params); leaf.ContentType == "" {
			return mm7.Part{}, "", fmt.Errorf("translate: part Content-Type %q: %w", ct, ErrMalformed)
		}
	}
	return leaf, mt, nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// textTransferEncoding chooses how a text body travels: as itself (7bit
// or 8bit) when it has CRLF line ends only, no NUL and no line over 998
// octets, else quoted-printable, which keeps every octet (bare LF
// included) through any MIME agent.
func textTransferEncoding(body []byte) string {
	ascii, line := true, 0
	for i := 0; i < len(body); i++ {
		switch c := body[i]; {
		case c == '\r' && i+1 < len(body) && body[i+1] == '\n':
			i, line = i+1, 0
			continue
		case c == '\r' || c == '\n' || c == 0:
			return "quoted-printable"
		case c >= 0x80:
			ascii = false
		}
		if line++; line > maxMIMELineLen {
			return "quoted-printable"
		}
	}
	if ascii {
		return "7bit"
	}
	return "8bit"
}

// keepableContentID reports whether a part's own Content-ID can be written
// as <id> and read back unchanged.
func keepableContentID(id string) bool {
	if id == "" || len(id) > maxContentIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(`<>"\()`, c) >= 0 {
			return false
		}
	}
	return true
}

// locationOf writes a file name as a Content-Location, a URI reference
// (RFC 2557 4.1): octets outside the unreserved and sub-delimiter
// characters of RFC 3986 are percent-encoded.
func locationOf(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		if c := name[i]; isURIChar(c) {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func isURIChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		strings.IndexByte("-._~!$&'()*+,;=@", c) >= 0
}

// generatedName gives the stem and extension of a generated
// Content-Location for a media type: text1.txt, image1.jpg …
func generatedName(mt string) (string, string) {
	stem, _, _ := strings.Cut(mt, "/")
	switch stem {
	case "text", "image", "audio", "video":
	default:
		stem = "part"
	}
	if ext, ok := mmsExtensions[mt]; ok {
		return stem, ext
	}
	if stem == "text" {
		return stem, ".txt"
	}
	return stem, ".bin"
}

// mmsExtensions are the file extensions of the media types MMS carries
// (OMA MMS conformance), fixed here rather than read from the host's
// mime.types so that output does not depend on the machine.
var mmsExtensions = map[string]string{
	"text/plain": ".txt", "text/html": ".html", "text/x-vcard": ".vcf", "text/vcard": ".vcf",
	"text/x-vcalendar": ".vcs", "text/calendar": ".ics",
	"image/jpeg": ".jpg", "image/jpg": ".jpg", "image/png": ".png", "image/gif": ".gif",
	"image/bmp": ".bmp", "image/vnd.wap.wbmp": ".wbmp", "image/webp": ".webp", "image/heic": ".heic",
	"audio/amr": ".amr", "audio/amr-wb": ".awb", "audio/mpeg": ".mp3", "audio/mp3": ".mp3",
	"audio/mp4": ".m4a", "audio/aac": ".aac", "audio/midi": ".mid", "audio/sp-midi": ".mid",
	"audio/3gpp": ".3gp", "audio/ogg": ".ogg", "audio/wav": ".wav",
	"video/3gpp": ".3gp", "video/3gpp2": ".3g2", "video/mp4": ".mp4", "video/mpeg": ".mpg",
	"application/smil": ".smil", "application/pdf": ".pdf", "application/vnd.wap.mms-message": ".mms",
}

// nameSet hands out names (Content-IDs, Content-Locations) unique within
// one message.
type nameSet struct {
	taken map[string]bool
	next  map[string]int
}

func newNameSet(reserved ...string) *nameSet {
	s := &nameSet{taken: make(map[string]bool), next: make(map[string]int)}
	for _, r := range reserved {
		s.taken[r] = true
	}
	return s
}

// add claims name and reports whether it was free.
func (s *nameSet) add(name string) bool {
	if s.taken[name] {
		return false
	}
	s.taken[name] = true
	return true
}

// unique claims name, or name with a number before its extension when
// name is taken.
func (s *nameSet) unique(name string) string {
	if s.add(name) {
		return name
	}
	stem, ext := name, ""
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		stem, ext = name[:i], name[i:]
	}
	return s.numbered(stem, ext)
}

// numbered claims the first free stem+N+ext, counting from 1 per stem.
func (s *nameSet) numbered(stem, ext string) string {
	for {
		s.next[stem+ext]++
		if name := stem + strconv.Itoa(s.next[stem+ext]) + ext; s.add(name) {
			return name
		}
	}
}

// partsFromMM7 returns the leaves of an MM7 content in order, depth first
// through its multipart containers.
func partsFromMM7(content *mm7.Part) []cpm.Part {
	var parts []cpm.Part
	var walk func(p *mm7.Part)
	walk = func(p *mm7.Part) {
		if len(p.Parts) == 0 {
			parts = append(parts, cpmPartOf(p))
			return
		}
		for i := range p.Parts {
			walk(&p.Parts[i])
		}
	}
	walk(content)
	return parts
}

// cpmPartOf maps one MM7 leaf to a CPM part, its text in UTF-8 when its
// charset is known.
func cpmPartOf(p *mm7.Part) cpm.Part {
	part := cpm.Part{ContentType: strings.TrimSpace(p.ContentType), ContentID: p.ContentID, Filename: mm7Filename(p), Body: p.Body}
	if part.ContentType == "" {
		part.ContentType = "text/plain;charset=us-ascii"
		return part
	}
	mt, params, err := mime.ParseMediaType(part.ContentType)
	if err != nil || !strings.HasPrefix(mt, "text/") {
		return part
	}
	switch strings.ToLower(params["charset"]) {
	case "", "utf-8", "us-ascii":
		return part
	}
	text, err := p.Text()
	if err != nil {
		return part // a charset iwf cannot read: the bytes as received
	}
	params["charset"] = "utf-8"
	if ct := mime.FormatMediaType(mt, params); ct != "" {
		part.ContentType, part.Body = ct, []byte(text)
	}
	return part
}

// mm7Filename is a leaf's file name: its Content-Location, else the
// filename parameter of Content-Disposition, else the name parameter of
// Content-Type.
func mm7Filename(p *mm7.Part) string {
	if loc := strings.TrimSpace(p.ContentLocation); loc != "" {
		return nameOfLocation(loc)
	}
	if _, params, err := mime.ParseMediaType(p.ContentDisposition); err == nil && params["filename"] != "" {
		return decodeWords(params["filename"])
	}
	if _, params, err := mime.ParseMediaType(p.ContentType); err == nil && params["name"] != "" {
		return decodeWords(params["name"])
	}
	return ""
}

// nameOfLocation undoes the percent-encoding of a Content-Location when
// that gives clean UTF-8 text, and keeps it as written otherwise.
func nameOfLocation(loc string) string {
	if !strings.Contains(loc, "%") {
		return loc
	}
	name, err := url.PathUnescape(loc)
	if err != nil || !utf8.ValidString(name) || strings.ContainsFunc(name, isControl) {
		return loc
	}
	return name
}

// decodeWords reads RFC 2047 encoded words, which handsets put in file
// name parameters, in any charset golang.org/x/text knows; s is kept as
// written when they do not decode.
func decodeWords(s string) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	d := mime.WordDecoder{CharsetReader: charsetReader}
	text, err := d.DecodeHeader(s)
	if err != nil || strings.ContainsFunc(text, isControl) {
		return s
	}
	return text
}

func charsetReader(charset string, input io.Reader) (io.Reader, error) {
	enc, err := ianaindex.MIME.Encoding(charset)
	if err != nil || enc == nil {
		return nil, fmt.Errorf("translate: charset %q: %w", charset, ErrUnsupportedType)
	}
	return transform.NewReader(input, enc.NewDecoder()), nil
}
