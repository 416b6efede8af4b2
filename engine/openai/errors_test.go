package openai

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/deskchat/deskchat/engine/llm"
	"github.com/deskchat/deskchat/store"
)

// An error body whose "error" is a plain string (some OpenAI-compatible
// servers answer so) keeps its HTTP status and its text.
func TestAnErrorBodyWithAStringErrorKeepsItsStatus(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"error":"model 'nope' is not loaded"}`)
	}))
	defer srv.Close()
	p := store.Provider{Name: "Local", Kind: store.KindCompatible, BaseURL: srv.URL + "/v1", Model: "nope"}
	_, err := New(p, "", srv.Client()).Stream(context.Background(), llm.Request{Model: "nope", Messages: []llm.ChatMessage{{Role: llm.RoleUser, Content: "hi"}}})
	pe := classify(err, "Local", "nope", p.BaseURL)
	if pe.Status != http.StatusBadRequest || !strings.Contains(pe.Sentence, "is not loaded") {
		t.Fatalf("status %d, sentence %q", pe.Status, pe.Sentence)
	}
}
