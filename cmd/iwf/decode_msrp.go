package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/iwf-gateway/iwf/adapters/sip/msrp"
)

func newDecodeMSRPCmd() *cobra.Command {
	return decodeFileCmd("msrp FILE",
		"Print MSRP (RFC 4975) frames: start line, paths, ranges, reports, body, continuation flag",
		"Print one or more MSRP frames read back to back from FILE (- for standard input), lines ending\n"+
			"in CRLF as on the wire. A text body is shown quoted, any other as its size and the hex of its\n"+
			"first 32 bytes. A malformed or truncated frame is reported with the codec's error after the\n"+
			"frames before it, and the exit status is non-zero.",
		decodeMSRP)
}

func decodeMSRP(out io.Writer, data []byte) error {
	r := msrp.NewReader(bytes.NewReader(data), msrp.Config{})
	w := &decodeWriter{out: out, width: 18}
	for n := 1; ; n++ {
		f, err := r.ReadFrame()
		if errors.Is(err, io.EOF) {
			if n == 1 {
				return errors.New("msrp: no frame in the input")
			}
			return w.err
		}
		if err != nil {
			return fmt.Errorf("frame %d: %w", n, err)
		}
		if n > 1 {
			w.line("")
		}
		w.line(fmt.Sprintf("frame %d:", n))
		describeMSRPFrame(w, f)
		if w.err != nil {
			return w.err
		}
	}
}

func describeMSRPFrame(w *decodeWriter, f *msrp.Frame) {
	if f.IsResponse() {
		w.row("  response", strings.TrimSpace(fmt.Sprintf("%03d %s", int(f.Code), f.Comment)))
	} else {
		w.row("  method", f.Method)
	}
	w.row("  transaction", f.TransactionID)
	w.row("  To-Path", msrpPath(f.ToPath))
	w.row("  From-Path", msrpPath(f.FromPath))
	w.row("  Message-ID", f.MessageID)
	if br := f.ByteRange; br != nil {
		w.row("  Byte-Range", br.String())
	}
	w.row("  Success-Report", f.SuccessReport)
	w.row("  Failure-Report", f.FailureReport)
	if st := f.Status; st != nil {
		s := st.String()
		if t := st.Code.Text(); t != "" && !strings.EqualFold(st.Comment, t) {
			s += " (" + t + ")"
		}
		w.row("  Status", s)
	}
	for _, h := range f.Extra {
		w.row("  "+h.Name, h.Value)
	}
	w.row("  Content-Type", f.ContentType)
	if f.ContentType != "" || len(f.Body) > 0 {
		msrpBody(w, f)
	}
	// A response always ends in '$' (RFC 4975 section 7.2); only a
	// request's flag says something.
	if !f.IsResponse() || f.Flag != msrp.FlagEnd {
		w.row("  flag", string(rune(f.Flag))+" "+msrpFlagMeaning(f.Flag))
	}
}

// msrpBody prints the body: quoted when its media type is textual and it
// is valid UTF-8, else its size and hex head; a Byte-Range that does not
// span the body is noted.
func msrpBody(w *decodeWriter, f *msrp.Frame) {
	mt, _, _ := mime.ParseMediaType(f.ContentType)
	w.row("  body", fmt.Sprintf("%d bytes", len(f.Body)))
	if br := f.ByteRange; br != nil && br.Start > 0 && br.End != msrp.Unknown && br.End-br.Start+1 != int64(len(f.Body)) {
		w.line(fmt.Sprintf("%-*s Byte-Range spans %d bytes, the body has %d", w.width, "  note:", br.End-br.Start+1, len(f.Body)))
	}
	if isDecodeText(mt) && utf8.Valid(f.Body) {
		writeDecodeText(w, fmt.Sprintf("%-*s ", w.width, "  text:"), string(f.Body))
		return
	}
	w.row("  head", decodeHexHead(f.Body))
}

func msrpPath(p []msrp.URI) string {
	s := make([]string, len(p))
	for i, u := range p {
		s[i] = u.String()
	}
	return strings.Join(s, " ")
}

func msrpFlagMeaning(f msrp.Flag) string {
	switch f {
	case msrp.FlagEnd:
		return "(last chunk of the message)"
	case msrp.FlagMore:
		return "(more chunks follow)"
	case msrp.FlagAbort:
		return "(message aborted by the sender)"
	}
	return "(unknown flag)"
}
