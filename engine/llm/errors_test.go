package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
)

// Classify gives every error an adapter left unclassified one kind and one
// sentence, and leaves a classified one as it is.
func TestClassify(t *testing.T) {
	var syn *json.SyntaxError
	synErr := json.Unmarshal([]byte("{"), &struct{}{})
	if !errors.As(synErr, &syn) && !strings.Contains(synErr.Error(), "unexpected end of JSON") {
		t.Fatalf("no JSON error to test with: %v", synErr)
	}
	tests := []struct {
		name string
		err  error
		kind ErrorKind
		says string
	}{
		{"bad JSON", synErr, KindMalformed, "P sent a malformed response; the answer stops here."},
		{"unknown host", &net.DNSError{Err: "no such host", Name: "nowhere.example"}, KindConnection, "Cannot find the server nowhere.example:8080. Check the base URL of P"},
		{"refused", &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, KindConnection, "Nothing is listening at nowhere.example:8080."},
		{"deadline", fmt.Errorf("read: %w", context.DeadlineExceeded), KindConnection, "P did not answer in time."},
		{"anything else", errors.New("EOF in the middle"), KindConnection, "The connection to P was lost before the answer was complete."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pe := Classify(tt.err, "P", "http://nowhere.example:8080/v1")
			if pe.Kind != tt.kind || !strings.HasPrefix(pe.Sentence, tt.says) || pe.Provider != "P" {
				t.Errorf("%s %q (provider %q); want %s %q", pe.Kind, pe.Sentence, pe.Provider, tt.kind, tt.says)
			}
			if !errors.Is(pe, tt.err) {
				t.Errorf("the cause %v is not kept", tt.err)
			}
		})
	}
	classified := &ProviderError{Kind: KindAuth, Sentence: "as it was"}
	if got := Classify(fmt.Errorf("wrapped: %w", classified), "P", ""); got != classified {
		t.Errorf("a classified error came back as %#v", got)
	}
}

// A key in a failure's text never reaches the sentence or the error's text:
// Classify and Scrub take out the key sent and anything shaped like one.
func TestClassifyScrubsKeys(t *testing.T) {
	const key = "sk-" + "test-0123456789abcdefABCDEF0123" // split: a fake key
	pe := Classify(errors.New("proxy said: bad key "+key), "P", "", key)
	if strings.Contains(pe.Error(), key) || strings.Contains(pe.Sentence, key) {
		t.Errorf("the key is in %q / %q", pe.Error(), pe.Sentence)
	}
	pe = (&ProviderError{Sentence: "echo " + key, Err: errors.New("echo " + key)}).Scrub("another-secret")
	if strings.Contains(pe.Error(), key) || strings.Contains(pe.Sentence, key) {
		t.Errorf("a key-shaped string stayed in %q / %q", pe.Error(), pe.Sentence)
	}
	if (&ProviderError{Kind: KindConfig, Sentence: "Set it."}).Error() != "engine: config: Set it." {
		t.Errorf("an error without a cause reads its sentence")
	}
}
