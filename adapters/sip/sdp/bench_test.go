package sdp

import "testing"

func BenchmarkParseChatOffer(b *testing.B) {
	in := readGolden(b, "rcsjta_chat_offer.sdp")
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAnswerChatOffer(b *testing.B) {
	offer := mustParse(b, readGolden(b, "rcsjta_chat_offer.sdp"))
	cfg := iwf()
	b.ReportAllocs()
	for b.Loop() {
		ans, err := Answer(offer, cfg)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ans.Marshal(); err != nil {
			b.Fatal(err)
		}
	}
}
