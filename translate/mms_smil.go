package translate

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"

	"github.com/iwf-gateway/iwf/adapters/mms/mm7"
)

// smilMedia is one media object of a generated presentation: its SMIL
// element (text, img, audio, video or ref) and the cid: URL of its part.
type smilMedia struct {
	element string
	src     string
}

// smilSlideDur is how long a slide without audio or video stays up; one
// with them lasts as long as they play.
const smilSlideDur = "5000ms"

// smilMediaOf names the SMIL element of each leaf by its media type.
// Text other than text/plain (a vCard, a calendar) is not for a text
// region and becomes a ref, as does anything not text, image, audio or
// video.
func smilMediaOf(leaves []mm7.Part, types []string) []smilMedia {
	media := make([]smilMedia, len(leaves))
	for i := range leaves {
		element := "ref"
		switch stem, _, _ := strings.Cut(types[i], "/"); {
		case types[i] == "text/plain":
			element = "text"
		case stem == "image":
			element = "img"
		case stem == "audio", stem == "video":
			element = stem
		}
		media[i] = smilMedia{element: element, src: "cid:" + cidURL(leaves[i].ContentID)}
	}
	return media
}

// mmsSMIL writes the presentation of an MMS built from parts that came
// without one, in the SMIL subset of the OMA MMS conformance document: a
// root-layout with an Image region over a Text region, and a par (slide)
// per group of parts in message order. A slide takes at most one image or
// video, one text and one audio, so a picture and its caption share one;
// a ref is alone on its slide.
func mmsSMIL(media []smilMedia) []byte {
	var b bytes.Buffer
	b.WriteString("<smil>\r\n<head>\r\n<layout>\r\n" +
		`<root-layout width="320px" height="480px"/>` + "\r\n" +
		`<region id="Image" top="0" left="0" width="100%" height="50%" fit="meet"/>` + "\r\n" +
		`<region id="Text" top="50%" left="0" width="100%" height="50%" fit="scroll"/>` + "\r\n" +
		"</layout>\r\n</head>\r\n<body>\r\n")
	for _, slide := range smilSlides(media) {
		timed := false
		for _, m := range slide {
			timed = timed || m.element == "audio" || m.element == "video"
		}
		if timed {
			b.WriteString("<par>\r\n")
		} else {
			b.WriteString(`<par dur="` + smilSlideDur + `">` + "\r\n")
		}
		for _, m := range slide {
			fmt.Fprintf(&b, `<%s src="%s"%s/>`+"\r\n", m.element, xmlAttr(m.src), smilRegion(m.element))
		}
		b.WriteString("</par>\r\n")
	}
	b.WriteString("</body>\r\n</smil>\r\n")
	return b.Bytes()
}

// smilSlides groups media into slides, starting a new one when the slot
// a medium needs is taken.
func smilSlides(media []smilMedia) [][]smilMedia {
	var slides [][]smilMedia
	var slide []smilMedia
	used := map[string]bool{}
	for _, m := range media {
		slot := m.element
		if slot == "video" {
			slot = "img" // both take the Image region
		}
		if len(slide) > 0 && (used[slot] || used["ref"] || slot == "ref") {
			slides, slide, used = append(slides, slide), nil, map[string]bool{}
		}
		slide, used[slot] = append(slide, m), true
	}
	if len(slide) > 0 {
		slides = append(slides, slide)
	}
	return slides
}

func smilRegion(element string) string {
	switch element {
	case "img", "video":
		return ` region="Image"`
	case "text":
		return ` region="Text"`
	}
	return ""
}

// cidURL writes a Content-ID as the body of a cid: URL (RFC 2392):
// octets that a URL cannot carry as themselves are percent-encoded.
func cidURL(id string) string {
	var b strings.Builder
	for i := 0; i < len(id); i++ {
		if c := id[i]; isURIChar(c) || c == '/' || c == ':' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func xmlAttr(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // a strings.Builder does not fail
	return b.String()
}
