package cli

import (
	"crypto/sha256"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"deskchat/store"
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

	if r := run(t, nil, "", "cache", "stats", "--data-dir", dir); r.code != 0 || !strings.HasPrefix(r.stdout, "1 cached answers") {
		t.Errorf("cache stats: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := run(t, nil, "", "cache", "clear", "--data-dir", dir); r.code != 0 || r.stdout != "Removed 1 cached answers.\n" {
		t.Errorf("cache clear: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := run(t, nil, "", "cache", "--data-dir", dir, "stats", "--json"); r.code != 0 || !strings.Contains(r.stdout, `"entries": 0`) {
		t.Errorf("cache stats --json: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := run(t, nil, "", "cache", "burn", "--data-dir", dir); r.code != ExitUsage {
		t.Errorf("cache burn: exit %d", r.code)
	}
}
