package redact

import (
	"encoding/base64"
	"errors"
	"io"
	"net/url"
	"strings"
	"testing"
)

const key = "sk-" + "test-ECHO-0123456789abcdefABCDEF" // split: a fake key, not one for secret scanners to flag

func TestString(t *testing.T) {
	azure := "0123456789abcdef0123456789abcdef" // Azure keys: 32 hex digits
	slashy := "k3y/with+plus=and/slash"
	basic := base64.StdEncoding.EncodeToString([]byte("user:" + key))
	cases := []struct {
		name    string
		in      string
		secrets []string
		gone    []string // none of these may remain
		keep    []string // all of these must remain
	}{
		{"exact key in a JSON message", `{"error":{"message":"Incorrect API key provided: ` + key + `"}}`, []string{key},
			[]string{key, "0123456789abcdef"}, []string{"Incorrect API key provided: " + Mark}},
		{"Authorization header echoed", "you sent Authorization: Bearer " + key, nil,
			[]string{key, "ECHO-0123"}, []string{"Authorization: Bearer " + Mark}},
		{"bearer of an unknown shape", `"authorization":"Bearer AbCdEf0123456789"`, nil,
			[]string{"AbCdEf0123456789"}, []string{"Bearer " + Mark}},
		{"bearer lower case, URL-encoded space", "auth=bearer%20tok3n-abcdefgh", nil,
			[]string{"tok3n-abcdefgh"}, []string{"bearer%20" + Mark}},
		{"Basic credential", "header was Basic " + basic, nil,
			[]string{basic}, []string{"Basic " + Mark}},
		{"key inside base64 without a scheme", `"auth":"` + basic + `"`, []string{key},
			[]string{basic, base64.StdEncoding.EncodeToString([]byte(key))[:20]}, nil},
		{"key URL-encoded", "url was /v1?x=" + url.QueryEscape(slashy), []string{slashy},
			[]string{url.QueryEscape(slashy), slashy}, nil},
		{"key JSON-escaped", `{"k":"a\u003cb` + strings.Repeat("x", 10) + `"}`, []string{"a<b" + strings.Repeat("x", 10)},
			[]string{`a\u003cb` + strings.Repeat("x", 10)}, nil},
		{"Azure api-key echoed, exact", `{"error":{"message":"bad api-key ` + azure + `"}}`, []string{azure},
			[]string{azure}, nil},
		{"Azure api-key header, unknown key", "api-key: " + azure, nil,
			[]string{azure}, []string{"api-key: " + Mark}},
		{"x-api-key JSON member", `{"x-api-key": "Zz9_secretvalue"}`, nil,
			[]string{"Zz9_secretvalue"}, []string{"x-api-key"}},
		{"Google key in a query", "GET /v1beta/models?key=AIzaSyA1234567890abcdefghijklmnopqrstu&alt=sse", nil,
			[]string{"AIzaSyA1234567890"}, []string{"&alt=sse"}},
		{"OpenAI project key", "key sk-" + "proj-abcDEF123456_ghiJKL789 is invalid", nil,
			[]string{"sk-proj-abcDEF"}, []string{"is invalid"}},
		{"OpenRouter key", "sk-" + "or-v1-0123456789abcdef0123456789abcdef", nil, []string{"sk-or-v1-0123"}, nil},
		{"Groq key", "gsk_ABCdef0123456789ABCdef0123 rejected", nil, []string{"gsk_ABC"}, []string{"rejected"}},
		{"xAI key", "Incorrect API key provided: xai-AbCdEfGh0123456789xyz.", nil, []string{"xai-AbCd"}, []string{"provided: " + Mark + "."}},
		{"Google key bare", "API key not valid: AIzaSyD-abcdefghijklmnopqrstuvwxyz01234", nil, []string{"AIzaSyD"}, nil},
		{"JWT", "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sig_nature", nil, []string{"eyJhbGci", "eyJzdWIi"}, nil},
		{"ordinary words stay", "Bearer authentication failed: basic plan limits; token limit reached", nil,
			nil, []string{"Bearer authentication failed: basic plan limits; token limit reached"}},
		{"ordinary error stays", "model 'gpt-4o' is not loaded; max_tokens must be ≤ 4096", nil,
			nil, []string{"model 'gpt-4o' is not loaded; max_tokens must be ≤ 4096"}},
		{"key of no known shape, case changed by a proxy", "key vh7tq2lm9xw4rz8kp3nb6yc1 refused", []string{"Vh7Tq2Lm9Xw4Rz8Kp3Nb6Yc1"},
			[]string{"vh7tq2lm9xw4rz8kp3nb6yc1"}, []string{"key " + Mark + " refused"}},
		{"a short secret is not hunted", "the key none was ignored", []string{"none"},
			nil, []string{"the key none was ignored"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := String(c.in, c.secrets...)
			for _, g := range c.gone {
				if strings.Contains(got, g) {
					t.Errorf("String(%q) = %q still holds %q", c.in, got, g)
				}
			}
			for _, k := range c.keep {
				if !strings.Contains(got, k) {
					t.Errorf("String(%q) = %q lost %q", c.in, got, k)
				}
			}
		})
	}
}

// Every alignment of the key inside a base64 text (a Basic credential with
// a user name of any length) is found.
func TestStringFindsTheKeyInBase64AtEveryAlignment(t *testing.T) {
	for _, user := range []string{"", "u", "us", "use", "user:"} {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding} {
			b := enc.EncodeToString([]byte(user + key + "!"))
			got := String("credential "+b, key)
			if !strings.Contains(got, Mark) {
				t.Errorf("user %q: %q not redacted", user, got)
			}
			// At most the two groups at each end, which mix in other
			// bytes, may remain: never more than 3 bytes of the key.
			if strings.Contains(got, b[8:len(b)-8]) {
				t.Errorf("user %q: %q keeps the middle of the key's base64", user, got)
			}
		}
	}
}

func TestStrictAlsoRemovesAKeyOfUnknownShape(t *testing.T) {
	got := Strict("my key is Qw7rT9yU2iO4pA6sD8fG1hJ3 and it expired", "")
	if strings.Contains(got, "Qw7rT9yU2iO4pA6sD8fG1hJ3") || !strings.Contains(got, "and it expired") {
		t.Errorf("Strict = %q", got)
	}
	got = Strict("op: not signed in; run op signin --account my.1password.com")
	if got != "op: not signed in; run op signin --account my.1password.com" {
		t.Errorf("Strict changed an ordinary line: %q", got)
	}
}

func TestErrorKeepsTheChainAndHidesTheText(t *testing.T) {
	if Error(nil, key) != nil {
		t.Fatal("Error(nil) is not nil")
	}
	cause := errors.Join(io.ErrUnexpectedEOF, errors.New("body: "+key))
	err := Error(cause, key)
	if strings.Contains(err.Error(), key) || !strings.Contains(err.Error(), Mark) {
		t.Errorf("Error() = %q", err.Error())
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Error("errors.Is lost the cause")
	}
	if again := Error(err, key); again != err {
		t.Error("redacting a clean error wrapped it again")
	}
}

// FuzzString: whatever surrounds it, a key of a key's alphabet never
// survives, bare, URL-encoded or in a Basic credential, and nothing panics.
func FuzzString(f *testing.F) {
	f.Add("before ", " after", key)
	f.Add(`{"error":{"message":"`, `"}}`, "0123456789abcdef0123456789abcdef")
	f.Add("Authorization: Bearer ", "\n", "gsk_0123456789abcdefABCD")
	f.Add("api-key=", "&x=1", "abcdefgh")
	f.Fuzz(func(t *testing.T, before, after, secret string) {
		if len(secret) < MinSecret || strings.Trim(secret, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != "" {
			String(before+secret+after, secret) // must not panic
			Strict(before+secret+after, secret)
			return
		}
		for _, in := range []string{
			before + secret + after,
			before + url.QueryEscape("x:"+secret) + after,
			before + "Basic " + base64.StdEncoding.EncodeToString([]byte("user:"+secret)) + after,
		} {
			got := String(in, secret)
			if strings.Contains(got, secret) {
				t.Fatalf("String(%q) = %q keeps the secret", in, got)
			}
		}
	})
}

// BenchmarkString: a sentence, and a whole 64 KB error body (the most a
// provider's error body is read).
func BenchmarkString(b *testing.B) {
	sentence := `P refused the request (HTTP 400). It said: Invalid header Authorization: Bearer ` + key + `.`
	body := strings.Repeat(`{"error":{"message":"model not found","type":"invalid_request_error"}} `, 64<<10/72)
	for _, c := range []struct{ name, s string }{{"sentence", sentence}, {"64KB", body}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.s)))
			for b.Loop() {
				String(c.s, key)
			}
		})
	}
}
