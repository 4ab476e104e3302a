package mm7test_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/iwf-gateway/iwf/adapters/mms/mm7"
	"github.com/iwf-gateway/iwf/adapters/mms/mm7test"
)

func post(t *testing.T, url, user, pass string, msg mm7.Message) *http.Response {
	t.Helper()
	ct, body, err := mm7.Encode(msg, mm7.REL6MM714)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", ct)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	rsp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rsp.Body.Close() })
	return rsp
}

func TestRelayRequiresCredentials(t *testing.T) {
	r, err := mm7test.NewRelay(mm7test.Config{Username: "u", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	msg := mm7.Message{TransactionID: "1", Operation: &mm7.SubmitReq{}}
	if rsp := post(t, r.URL(), "u", "bad", msg); rsp.StatusCode != http.StatusUnauthorized {
		t.Errorf("bad password: http %d", rsp.StatusCode)
	}
	if rsp := post(t, r.URL(), "u", "p", msg); rsp.StatusCode != http.StatusOK {
		t.Errorf("good password: http %d", rsp.StatusCode)
	}
	if subs := r.Submits(); len(subs) != 1 || subs[0].MessageID == "" {
		t.Errorf("submits %+v", subs)
	}
}

func TestRelayAnswersMalformedWithFault(t *testing.T) {
	r, err := mm7test.NewRelay(mm7test.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	req, _ := http.NewRequest(http.MethodPost, r.URL(), strings.NewReader("<oops"))
	req.Header.Set("Content-Type", "text/xml")
	rsp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer rsp.Body.Close()
	body, err := io.ReadAll(rsp.Body)
	if err != nil {
		t.Fatal(err)
	}
	ans, err := mm7.Decode(rsp.Header.Get("Content-Type"), body)
	if err != nil {
		t.Fatal(err)
	}
	f, ok := ans.Operation.(*mm7.RSErrorRsp)
	if rsp.StatusCode != http.StatusInternalServerError || !ok || f.Status.Code != mm7.StatusValidationError {
		t.Errorf("http %d answer %+v, want RSErrorRsp 4004", rsp.StatusCode, ans.Operation)
	}
}

func TestInjectDeliverWithoutVASP(t *testing.T) {
	r, err := mm7test.NewRelay(mm7test.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.InjectDeliver(context.Background(), mm7.DeliverReq{}, nil); !errors.Is(err, mm7test.ErrNoVASP) {
		t.Errorf("err = %v, want ErrNoVASP", err)
	}
}

// pictureSubmit is a SubmitReq whose content nests a text and an image.
func pictureSubmit(image []byte) mm7.Message {
	return mm7.Message{TransactionID: "pic", Operation: &mm7.SubmitReq{Subject: "pic", Content: &mm7.ContentRef{Href: "cid:c"}},
		Attachments: []mm7.Part{{ContentType: "multipart/related", ContentID: "c", Parts: []mm7.Part{
			{ContentType: "text/plain", ContentID: "t", Body: []byte("caption")},
			{ContentType: "image/jpeg", ContentID: "i", TransferEncoding: "base64", Body: image},
		}}}}
}

// With DiscardBodies the records keep every part but no body, while
// OnSubmit still sees the bodies; without it the records keep them.
func TestRelayDiscardBodies(t *testing.T) {
	image := []byte(strings.Repeat("\xff\xd8jpeg", 1000))
	for _, discard := range []bool{true, false} {
		seen := make(chan mm7.Message, 1)
		r, err := mm7test.NewRelay(mm7test.Config{DiscardBodies: discard, OnSubmit: func(s mm7test.Submit) { seen <- s.Message }})
		if err != nil {
			t.Fatal(err)
		}
		if rsp := post(t, r.URL(), "", "", pictureSubmit(image)); rsp.StatusCode != http.StatusOK {
			t.Fatalf("discard %v: http %d", discard, rsp.StatusCode)
		}
		r.Close()
		if got := (<-seen).Attachments; len(got) != 1 || len(got[0].Parts) != 2 || string(got[0].Parts[1].Body) != string(image) {
			t.Errorf("discard %v: OnSubmit saw %+v", discard, got)
		}
		subs := r.Submits()
		if len(subs) != 1 || subs[0].MessageID == "" || subs[0].Message.Operation.(*mm7.SubmitReq).Subject != "pic" {
			t.Fatalf("discard %v: submits %+v", discard, subs)
		}
		kept := subs[0].Message.Attachments
		if len(kept) != 1 || len(kept[0].Parts) != 2 || kept[0].Parts[1].ContentID != "i" || kept[0].Parts[1].ContentType != "image/jpeg" {
			t.Fatalf("discard %v: record lost parts: %+v", discard, kept)
		}
		text, img := kept[0].Parts[0].Body, kept[0].Parts[1].Body
		if discard && (text != nil || img != nil) {
			t.Errorf("bodies kept: %d and %d bytes", len(text), len(img))
		}
		if !discard && (string(text) != "caption" || string(img) != string(image)) {
			t.Errorf("bodies dropped without DiscardBodies")
		}
	}
}
