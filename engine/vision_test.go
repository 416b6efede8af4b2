package engine

import (
	"bytes"
	"context"
	"errors"
	"image/color"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/deskchat/deskchat/engine/llm"
	"github.com/deskchat/deskchat/store"
)

// Fixtures: testdata/errors/openai_400_invalid_image_*.json are copies of
// ../shared/fixtures/errors/ (OpenAI refusing one image, from
// traceloop/openllmetry).

// TestAModelKnownNotToSeeFailsAtOnceAndRegenerateWorks: images to a model
// the table knows takes none fail at once, with one sentence naming it and
// a model that can; nothing is sent, the question keeps its image; after
// choosing a model that sees, Regenerate sends it.
func TestAModelKnownNotToSeeFailsAtOnceAndRegenerateWorks(t *testing.T) {
	st := openStore(t)
	e := New(st, Options{})
	srv := newVisionServer(t, nil)
	p := store.Provider{Name: "work", Kind: store.KindCompatible, BaseURL: srv.URL, Model: "gpt-3.5-turbo", Models: []string{"gpt-3.5-turbo", "gpt-4o-mini"}}
	if err := st.PutProvider(p); err != nil {
		t.Fatal(err)
	}
	conv := newConversation(t, st)
	img := attachment(t, "chart.png", pngOf(t, 40, 30, color.White))
	events, err := e.Send(context.Background(), conv, "explain the chart", SendOptions{Provider: "work", Attachments: []store.Attachment{img}})
	if err != nil {
		t.Fatal(err)
	}
	r := drain(t, events)
	f, ok := r.final.(Failed)
	if !ok || !strings.Contains(f.Sentence, "gpt-3.5-turbo cannot read images") || !strings.Contains(f.Sentence, "gpt-4o-mini") || strings.Contains(f.Sentence, ". ") {
		t.Fatalf("final %#v", r.final)
	}
	if srv.count() != 0 {
		t.Fatalf("%d requests sent", srv.count())
	}
	msgs, _ := st.Messages(conv)
	if len(msgs) != 2 || len(msgs[0].Attachments) != 1 || msgs[1].State != store.StateFailed || msgs[1].Error != f.Sentence {
		t.Fatalf("stored %+v", msgs)
	}
	events, err = e.Regenerate(context.Background(), conv, SendOptions{Provider: "work", Model: "gpt-4o-mini"})
	if err != nil {
		t.Fatal(err)
	}
	if r := drain(t, events); r.text != "I see it." {
		t.Fatalf("regenerated: %#v", r.final)
	}
	parts := srv.messages(t, 0)[0].parts()
	if len(parts) != 2 || parts[1].Type != "image_url" {
		t.Errorf("regenerated request %+v", parts)
	}
}

// TestAProvidersRefusalOfImagesIsRememberedForTheModel: a 400 saying the
// model takes no images becomes one sentence naming it, and the provider
// remembers it (Provider.Vision): the next image question fails at once.
// The question and its image stay stored. Earlier images do not stop a
// text question to that model: they go as their names.
func TestAProvidersRefusalOfImagesIsRememberedForTheModel(t *testing.T) {
	st := openStore(t)
	e := New(st, Options{})
	refusal := `{"error":{"message":"Invalid content type. image_url is only supported by certain models.","type":"invalid_request_error","param":"messages.[0].content.[1].type","code":null}}`
	// Every request with an image is refused, as OpenAI refuses them for
	// a model that takes none; a text question is answered.
	srv := newVisionServer(t, func(body []byte, _ string) (int, string) {
		if bytes.Contains(body, []byte(`"image_url"`)) {
			return http.StatusBadRequest, refusal
		}
		return 0, ""
	})
	if err := st.PutProvider(store.Provider{Name: "lab", Kind: store.KindCompatible, BaseURL: srv.URL, Model: "local-text"}); err != nil {
		t.Fatal(err)
	}
	conv := newConversation(t, st)
	img := attachment(t, "cat.png", pngOf(t, 40, 30, color.White))
	send := func(text string, atts ...store.Attachment) result {
		t.Helper()
		events, err := e.Send(context.Background(), conv, text, SendOptions{Provider: "lab", Attachments: atts})
		if err != nil {
			t.Fatal(err)
		}
		return drain(t, events)
	}
	r := send("what animal?", img)
	f, ok := r.final.(Failed)
	if !ok || !strings.HasPrefix(f.Sentence, "local-text cannot read images (lab refused the picture)") || strings.Contains(f.Sentence, "It said") {
		t.Fatalf("final %#v", r.final)
	}
	if p, _ := st.Provider("lab"); p.Vision["local-text"] != false || len(p.Vision) != 1 {
		t.Errorf("remembered %v", p.Vision)
	}
	if srv.count() != 1 {
		t.Fatalf("%d requests", srv.count())
	}
	r = send("and now?", img)
	if f, ok := r.final.(Failed); !ok || !strings.HasPrefix(f.Sentence, "local-text cannot read images;") || srv.count() != 1 {
		t.Fatalf("second: %#v after %d requests", r.final, srv.count())
	}
	// A question without an image: the earlier ones go as their names.
	if r := send("tell me a joke"); r.text != "I see it." {
		t.Fatalf("text question: %#v", r.final)
	}
	msgs := srv.messages(t, 1)
	for _, m := range msgs {
		if m.Role != "user" {
			continue
		}
		if s, ok := m.text(); !ok {
			t.Errorf("a message went with parts to a model that cannot see: %s", m.Content)
		} else if strings.HasPrefix(s, "what animal?") && !strings.Contains(s, "[image: cat.png]") {
			t.Errorf("the earlier image is not named: %q", s)
		}
	}
	stored, _ := st.Messages(conv)
	if len(stored[0].Attachments) != 1 || len(stored[2].Attachments) != 1 {
		t.Errorf("the questions lost their images: %+v", stored)
	}
}

// TestARefusalOfOneImageIsNotAModelThatCannotSee: OpenAI's recorded
// refusals of one image (a format it does not read, a URL it could not
// download) keep their own words and are not remembered as the model not
// seeing.
func TestARefusalOfOneImageIsNotAModelThatCannotSee(t *testing.T) {
	for _, name := range []string{"openai_400_invalid_image_format", "openai_400_invalid_image_url_download"} {
		t.Run(name, func(t *testing.T) {
			st := openStore(t)
			e := New(st, Options{})
			srv := httptest.NewServer(recorded(name, http.StatusBadRequest))
			defer srv.Close()
			st.PutProvider(store.Provider{Name: "oa", Kind: store.KindCompatible, BaseURL: srv.URL, Model: "gpt-4o-mini"})
			conv := newConversation(t, st)
			events, err := e.Send(context.Background(), conv, "What is in this image?", SendOptions{Provider: "oa",
				Attachments: []store.Attachment{attachment(t, "a.png", pngOf(t, 10, 10, color.White))}})
			if err != nil {
				t.Fatal(err)
			}
			r := drain(t, events)
			f, ok := r.final.(Failed)
			if !ok || !strings.Contains(f.Sentence, "refused the request (HTTP 400)") || strings.Contains(f.Sentence, "cannot read images") {
				t.Fatalf("final %#v", r.final)
			}
			if pe := (*ProviderError)(nil); errors.As(f.Err, &pe) && pe.Kind == llm.KindNoVision {
				t.Error("classified as no vision")
			}
			if p, _ := st.Provider("oa"); len(p.Vision) != 0 {
				t.Errorf("remembered %v", p.Vision)
			}
		})
	}
}

// TestAProvidersOwnWordWins: a provider that says a model takes images
// (Provider.Vision) is sent them though the table says no; one that says
// it does not fails at once though the table says yes.
func TestAProvidersOwnWordWins(t *testing.T) {
	st := openStore(t)
	e := New(st, Options{})
	srv := newVisionServer(t, nil)
	st.PutProvider(store.Provider{Name: "p", Kind: store.KindCompatible, BaseURL: srv.URL, Model: "gpt-3.5-turbo",
		Vision: map[string]bool{"gpt-3.5-turbo": true, "gpt-4o": false}})
	img := attachment(t, "a.png", pngOf(t, 10, 10, color.White))
	send := func(model string) result {
		t.Helper()
		events, err := e.Send(context.Background(), newConversation(t, st), "see", SendOptions{Provider: "p", Model: model, Attachments: []store.Attachment{img}})
		if err != nil {
			t.Fatal(err)
		}
		return drain(t, events)
	}
	if r := send("gpt-3.5-turbo"); r.text != "I see it." || srv.count() != 1 {
		t.Errorf("told it sees: %#v, %d requests", r.final, srv.count())
	}
	if r := send("gpt-4o"); srv.count() != 1 {
		t.Errorf("told it does not: %#v, %d requests", r.final, srv.count())
	} else if f, ok := r.final.(Failed); !ok || !strings.HasPrefix(f.Sentence, "gpt-4o cannot read images") {
		t.Errorf("final %#v", r.final)
	}
}

// TestTalkOfImagesWithoutOneIsNotARefusal: a provider's 400 that speaks of
// images to a question without one is an ordinary refusal, not remembered.
func TestTalkOfImagesWithoutOneIsNotARefusal(t *testing.T) {
	st := openStore(t)
	e := New(st, Options{})
	srv := newVisionServer(t, func([]byte, string) (int, string) {
		return http.StatusBadRequest, `{"error":{"message":"this model does not support images"}}`
	})
	st.PutProvider(store.Provider{Name: "p", Kind: store.KindCompatible, BaseURL: srv.URL, Model: "local"})
	events, err := e.Send(context.Background(), newConversation(t, st), "plain text", SendOptions{Provider: "p"})
	if err != nil {
		t.Fatal(err)
	}
	r := drain(t, events)
	if f, ok := r.final.(Failed); !ok || strings.Contains(f.Sentence, "cannot read images") {
		t.Fatalf("final %#v", r.final)
	}
	if p, _ := st.Provider("p"); len(p.Vision) != 0 {
		t.Errorf("remembered %v", p.Vision)
	}
}
