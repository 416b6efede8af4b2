package cli

import (
	"crypto/sha256"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/deskchat/deskchat/store"
)

func TestUsageAndCacheCommands(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	cost := 0.0075
	now := time.Now()
	for _, r := range []store.UsageRecord{
		{Time: now, ConversationID: "c1", Provider: "openai", Model: "gpt-4o", PromptTokens: 1000, CompletionTokens: 500, Cost: &cost, Outcome: "done"},
		{Time: now, ConversationID: "c1", Provider: "local", Model: "llama3.2", PromptTokens: 10, CompletionTokens: 20, Estimated: true, Outcome: "done"},
	} {
		if err := st.AddUsage(r); err != nil {
			t.Fatal(err)
		}
	}
	key := sha256.Sum256([]byte("k"))
	if _, err := st.CachePut(key[:], store.CacheEntry{Content: "cached", Finish: "stop", ExpiresAt: now.Add(time.Hour)}, now, 1<<20); err != nil {
		t.Fatal(err)
	}
	st.Close()

	r := run(t, nil, "", "usage", "--data-dir", dir, "--json")
	if r.code != 0 {
		t.Fatalf("usage --json: %d %s", r.code, r.stderr)
	}
	var rep usageJSON
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Total.Requests != 2 || rep.Total.Cost != 0.0075 || rep.Total.Unpriced != 1 || rep.Total.Estimated != 1 || len(rep.ByProvider) != 2 || len(rep.ByConversation) != 1 {
		t.Errorf("report %+v", rep)
	}
	r = run(t, nil, "", "usage", "--data-dir", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "$0.0075 + 1 unknown") || !strings.Contains(r.stdout, "unknown") || !strings.Contains(r.stdout, "1 of 2 requests had no usage") {
		t.Errorf("usage table:\n%s", r.stdout)
	}
	if r := run(t, nil, "", "usage", "--data-dir", dir, "--days", "-1"); r.code != ExitUsage {
		t.Errorf("--days -1: exit %d", r.code)
	}

	if r := run(t, nil, "", "cache", "stats", "--data-dir", dir); r.code != 0 || !strings.HasPrefix(r.stdout, "1 cached answer,") {
		t.Errorf("cache stats: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := run(t, nil, "", "cache", "clear", "--data-dir", dir); r.code != 0 || r.stdout != "Removed 1 cached answer.\n" {
		t.Errorf("cache clear: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := run(t, nil, "", "cache", "--data-dir", dir, "stats", "--json"); r.code != 0 || !strings.Contains(r.stdout, `"entries": 0`) {
		t.Errorf("cache stats --json: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := run(t, nil, "", "cache", "burn", "--data-dir", dir); r.code != ExitUsage {
		t.Errorf("cache burn: exit %d", r.code)
	}
}

func TestPricesFeedTheLedger(t *testing.T) {
	srv := newChatServer(t, "hello")
	defer srv.Close()
	dir := t.TempDir()
	if r := run(t, nil, "", "prices", "set", "my-model", "1", "2", "--data-dir", dir); r.code != 0 {
		t.Fatalf("prices set: %d %s", r.code, r.stderr)
	}
	if r := run(t, nil, "", "prices", "set", "x", "cheap", "2", "--data-dir", dir); r.code != ExitUsage {
		t.Errorf("a price that is not a number: exit %d", r.code)
	}
	if r := run(t, nil, "", "prices", "--data-dir", dir); r.code != 0 || !strings.Contains(r.stdout, "my-model  1") {
		t.Errorf("prices list:\n%s", r.stdout)
	}
	if r := run(t, nil, "", "providers", "add", "local", "--base-url", srv.URL, "--model", "my-model", "--context", "4096", "--max-output", "512", "--data-dir", dir); r.code != 0 {
		t.Fatalf("providers add: %d %s", r.code, r.stderr)
	}
	if r := run(t, nil, "", "providers", "add", "bad", "--base-url", srv.URL, "--model", "m", "--context", "100", "--max-output", "200", "--data-dir", dir); r.code != ExitUsage {
		t.Errorf("max output above the window: exit %d", r.code)
	}
	if r := run(t, nil, "", "ask", "--data-dir", dir, "--provider", "local", "hi"); r.code != 0 {
		t.Fatalf("ask: %d %s", r.code, r.stderr)
	}
	r := run(t, nil, "", "usage", "--json", "--data-dir", dir)
	var rep usageJSON
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	// The server reports 5 prompt and 7 completion tokens: 5×$1 + 7×$2 per million.
	if rep.Total.Requests != 1 || rep.Total.Unpriced != 0 || rep.Total.Cost != 19e-6 {
		t.Errorf("total %+v, want cost 0.000019", rep.Total)
	}
	// The same question again is answered from the cache, and counted.
	if r := run(t, nil, "", "ask", "--data-dir", dir, "--provider", "local", "hi"); r.code != 0 || r.stdout != "hello\n" {
		t.Fatalf("ask again: %d %q %s", r.code, r.stdout, r.stderr)
	}
	var cs cacheStatsJSON
	r = run(t, nil, "", "cache", "stats", "--json", "--data-dir", dir)
	if err := json.Unmarshal([]byte(r.stdout), &cs); err != nil || cs.Hits != 1 || cs.Misses != 1 || cs.Entries != 1 {
		t.Errorf("cache stats %+v %v", cs, err)
	}
	if r := run(t, nil, "", "prices", "remove", "my-model", "--data-dir", dir); r.code != 0 {
		t.Errorf("remove: %d %s", r.code, r.stderr)
	}
	if r := run(t, nil, "", "prices", "list", "--json", "--data-dir", dir); strings.TrimSpace(r.stdout) != "{}" {
		t.Errorf("after remove: %q", r.stdout)
	}
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p, _ := st.Provider("local")
	if l := p.ModelLimits["my-model"]; l.Context != 4096 || l.MaxOutput != 512 {
		t.Errorf("limits %+v", p.ModelLimits)
	}
}
