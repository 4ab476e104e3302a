package mm7

import "testing"

// deliverReq100KB is a DeliverReq carrying a SMIL presentation and a
// 100 KB base64 image in nested multipart/related.
func deliverReq100KB() Message {
	img := make([]byte, 100<<10)
	for i := range img {
		img[i] = byte(i*7 + i>>8)
	}
	return Message{
		TransactionID: "bench-1",
		Operation: &DeliverReq{MM7Version: "6.8.0", MMSRelayServerID: "relay", LinkedID: "l1",
			Sender:     &Address{Kind: KindNumber, Value: "+15551230001"},
			Recipients: &Recipients{To: AddressList{{Kind: KindShortCode, Value: "4545"}}},
			TimeStamp:  "2010-04-02T10:52:26Z", Priority: "Normal", Subject: "picture",
			Content: &ContentRef{Href: "cid:content"}},
		Attachments: []Part{{ContentType: `multipart/related; start="<smil>"; type="application/smil"`, ContentID: "content",
			Parts: []Part{
				{ContentType: "application/smil; charset=utf-8", ContentID: "smil", Body: []byte(`<smil><body><par><img src="cid:img"/></par></body></smil>`)},
				{ContentType: "image/jpeg", ContentID: "img", TransferEncoding: "base64", Body: img},
			}}},
	}
}

func TestDeliverReq100KBRoundTrip(t *testing.T) {
	m := deliverReq100KB()
	ct, body, err := Encode(m, REL6MM714)
	if err != nil {
		t.Fatal(err)
	}
	checkRoundTrip(t, Limits{}, ct, body)
	got, err := Decode(ct, body)
	if err != nil {
		t.Fatal(err)
	}
	m.Version = REL6MM714
	if !deepEqual(got, m) {
		t.Errorf("decoded message differs from the one encoded")
	}
}

func BenchmarkDecodeDeliverReq100KB(b *testing.B) {
	ct, body, err := Encode(deliverReq100KB(), REL6MM714)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(ct, body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeDeliverReq100KB(b *testing.B) {
	m := deliverReq100KB()
	b.ReportAllocs()
	var n int
	for b.Loop() {
		_, body, err := Encode(m, REL6MM714)
		if err != nil {
			b.Fatal(err)
		}
		n = len(body)
	}
	b.SetBytes(int64(n))
}
