package providers_test

import (
	"errors"
	"fmt"
	"os"

	"github.com/zalando/go-keyring"

	"github.com/deskchat/deskchat/providers"
	"github.com/deskchat/deskchat/store"
)

// The command line's providers commands, through the Admin.
func Example() {
	keyring.MockInit() // the OS keychain in real use
	dir, _ := os.MkdirTemp("", "providers-example-")
	defer os.RemoveAll(dir)
	st, _ := store.Open(dir)
	defer st.Close()
	a := providers.New(st, nil)

	// providers add groq --base-url … --model … --key-source keychain
	d := providers.Draft{Provider: store.Provider{Name: "groq", Kind: store.KindCompatible,
		BaseURL: "https://api.groq.com/openai/v1", Model: "llama-3.3-70b", KeySource: store.KeyFromKeychain}, KeyLater: true}
	saved, _ := a.Put(d)
	fmt.Println("added groq; default now:", saved.BecameDefault)

	// providers set-key groq (the key read from stdin)
	if _, err := a.SetKey("groq", "gsk-example"); err != nil {
		fmt.Println(err)
	}

	// providers add local --fallback groq, then a bad one: exit 2 with the sentences.
	a.Put(providers.Draft{Provider: store.Provider{Name: "local", Kind: store.KindCompatible,
		BaseURL: "http://localhost:11434/v1", Model: "llama3.2", Fallback: "groq"}})
	_, err := a.Put(providers.Draft{Provider: store.Provider{Name: "bad", Kind: "weird", Model: "m"}})
	var probs providers.Problems
	fmt.Println(errors.As(err, &probs), err)

	// providers list --json
	list, _ := a.List()
	for _, e := range list {
		fmt.Printf("%s default=%v key_from=%s fallback=%q\n", e.Name, e.Default, e.KeyFrom, e.Fallback)
	}

	// providers remove groq
	r, _ := a.Remove("groq")
	fmt.Println("unhooked:", r.Unhooked, "-", r.DefaultSentence())
	// Output:
	// added groq; default now: true
	// true The kind must be openai, azure or compatible, not “weird”.
	// groq default=true key_from=keychain fallback=""
	// local default=false key_from= fallback="groq"
	// unhooked: [local] - local is the default provider for new chats now.
}
