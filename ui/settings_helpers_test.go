package ui

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	bolt "go.etcd.io/bbolt"

	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/settings"
)

// providerServer is an OpenAI-compatible server for the settings tests: GET
// /v1/models answers models (or status and body when set), and a chat
// request streams one short answer. It records the Authorization headers it
// got.
type providerServer struct {
	*httptest.Server
	mu     sync.Mutex
	auths  []string
	status int    // /v1/models answers this status with body, when set
	body   string // ... and this body, with contentType
	ctype  string
	models []string
	keys   []string // when set, /v1/models refuses other keys with 401
}

func newProviderServer(t *testing.T, models ...string) *providerServer {
	t.Helper()
	s := &providerServer{models: models}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.auths = append(s.auths, r.Header.Get("Authorization"))
		status, body, ctype, models, keys := s.status, s.body, s.ctype, s.models, s.keys
		s.mu.Unlock()
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/v1/models":
			if keys != nil && !contains(keys, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")) {
				status, ctype = http.StatusUnauthorized, "application/json"
				body = `{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}`
			}
			if status != 0 {
				w.Header().Set("Content-Type", ctype)
				w.WriteHeader(status)
				fmt.Fprint(w, body)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			var items []string
			for _, m := range models {
				items = append(items, fmt.Sprintf(`{"id":%q,"object":"model","owned_by":"test"}`, m))
			}
			fmt.Fprintf(w, `{"object":"list","data":[%s]}`, strings.Join(items, ","))
		case r.URL.Path == "/v1/chat/completions":
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{\"content\":\"Hi from the settings test.\"}}]}\n\n")
			fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *providerServer) set(f func(s *providerServer)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

func (s *providerServer) lastAuth() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.auths) == 0 {
		return ""
	}
	return s.auths[len(s.auths)-1]
}

// openSettings opens the settings dialog and waits for the keychain probe.
func (h *harness) openSettings() *settings.Dialog {
	h.t.Helper()
	h.w.showSettings()
	h.settle()
	if h.w.overlays.settings == nil || !h.w.overlays.settings.Open {
		h.t.Fatal("the settings dialog did not open")
	}
	return h.w.overlays.settings
}

// addFromPreset taps Add provider, picks preset and returns the new form.
func (h *harness) addFromPreset(preset string) *settings.ProviderForm {
	h.t.Helper()
	s := h.w.overlays.settings
	test.Tap(s.Add)
	if s.PresetSel == nil || !contains(s.PresetSel.Options, preset) {
		h.t.Fatalf("the preset question offers %v, not %q", s.PresetSel.Options, preset)
	}
	s.PresetSel.SetSelected(preset)
	if s.Form == nil || s.Form.Orig.Name != "" || s.Form.Preset.Name != preset {
		h.t.Fatalf("no new %s form", preset)
	}
	return s.Form
}

// errText is the sentence shown next to field ("" when none is shown).
func errText(f *settings.ProviderForm, field string) string {
	l := f.Errs[field]
	if !l.Visible() {
		return ""
	}
	return l.Text
}

func shownText(l *widget.Label) string {
	if !l.Visible() {
		return ""
	}
	return l.Text
}

func storedProviders(t *testing.T, st *store.Store) []string {
	t.Helper()
	ps, err := st.Providers()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range ps {
		names = append(names, p.Name)
	}
	return names
}

// everyText is every text shown in objs, password entries excepted.
func everyText(objs []fyne.CanvasObject) string {
	var sb strings.Builder
	for _, o := range objs {
		switch o := o.(type) {
		case *widget.Label:
			sb.WriteString(o.Text + "\n")
		case *widget.RichText:
			sb.WriteString(o.String() + "\n")
		case *widget.Entry:
			if !o.Password {
				sb.WriteString(o.Text + "\n" + o.PlaceHolder + "\n")
			}
		case *widget.Select:
			sb.WriteString(o.Selected + "\n")
		case *widget.Button:
			sb.WriteString(o.Text + "\n")
		case *canvas.Text: // a form's labels
			sb.WriteString(o.Text + "\n")
		}
	}
	return sb.String()
}

// dbContains reports whether any key or value of any bucket (nested ones
// included) of st contains s.
func dbContains(t *testing.T, st *store.Store, s string) bool {
	t.Helper()
	found := false
	var walk func(b *bolt.Bucket)
	walk = func(b *bolt.Bucket) {
		b.ForEach(func(k, v []byte) error {
			if bytes.Contains(k, []byte(s)) || bytes.Contains(v, []byte(s)) {
				found = true
			}
			if v == nil {
				if nb := b.Bucket(k); nb != nil {
					walk(nb)
				}
			}
			return nil
		})
	}
	err := st.DB().View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			walk(b)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}
