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
