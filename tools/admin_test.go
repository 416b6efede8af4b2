package tools

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"

	"github.com/deskchat/deskchat/internal/secrets"
	"github.com/deskchat/deskchat/store"
)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Add keeps the record and the secrets, Remove forgets both; a refused
// spec keeps nothing and never quotes a secret.
func TestAdminAddAndRemove(t *testing.T) {
	keyring.MockInit()
	st := openStore(t)
	a := Admin{Store: st}
	ts, err := a.Add(Spec{Name: " local ", Command: `srv --root "/tmp/my notes"`, Env: []string{"TOKEN=s3cret", "HOME"}})
	if err != nil {
		t.Fatal(err)
	}
	if ts.Name != "local" || ts.Command != "srv" || !slices.Equal(ts.Args, []string{"--root", "/tmp/my notes"}) ||
		!slices.Equal(ts.Env, []string{"TOKEN"}) || !slices.Equal(ts.EnvFromProcess, []string{"HOME"}) {
		t.Fatalf("added %+v", ts)
	}
	if v, err := secrets.System().Get(secrets.Service, SecretKey("local", "env", "TOKEN")); err != nil || v != "s3cret" {
		t.Fatalf("keychain holds %q, %v", v, err)
	}
	var invalid *InvalidError
	if _, err := a.Add(Spec{Name: "local", Command: "x"}); !errors.As(err, &invalid) || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("adding it twice: %v", err)
	}
	for _, sp := range []Spec{
		{Name: "web", URL: "http://h/", Header: []string{"Bad Name:s3cret"}},
		{Name: "web", URL: "ftp://h/"},
		{Name: "web"},
		{Name: "web", Command: "a", URL: "http://h/"},
		{Name: "all", Command: "a"},
	} {
		if _, err := a.Add(sp); !errors.As(err, &invalid) || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%+v: %v; want a refusal without the secret", sp, err)
		}
	}
	if list, _ := st.ToolServers(); len(list) != 1 {
		t.Fatalf("refusals stored something: %+v", list)
	}
	r, err := a.Remove("local")
	if err != nil || r.SecretsLeft != nil || r.Server.Name != "local" {
		t.Fatalf("Remove = %+v, %v", r, err)
	}
	if _, err := secrets.System().Get(secrets.Service, SecretKey("local", "env", "TOKEN")); err == nil {
		t.Fatal("the secret outlived its server")
	}
	if _, err := a.Remove("local"); err == nil {
		t.Fatal("removing it twice succeeded")
	}
}

// "Always allow" outlives the Manager: AlwaysAllow tells Remember, which
// writes the record; a Manager made from the record offers the tool as
// allowed, and SetAllowed takes it back.
func TestAlwaysAllowIsKeptInTheRecord(t *testing.T) {
	keyring.MockInit()
	st := openStore(t)
	if err := st.PutToolServer(stdio("local")); err != nil {
		t.Fatal(err)
	}
	list, _ := st.ToolServers()
	m := manager(t, Options{Remember: Remembering(st)}, list...)
	m.AlwaysAllow("local", "echo")
	m.AlwaysAllow("local", "echo")
	m.AlwaysAllow("nowhere", "echo") // no such server: nothing happens
	ts, err := st.ToolServer("local")
	if err != nil || !slices.Equal(ts.Allowed, []string{"echo"}) {
		t.Fatalf("record = %+v, %v; want echo allowed once", ts.Allowed, err)
	}
	m2 := manager(t, Options{}, ts)
	allowed := func(m *Manager) []string {
		infos, err := m.Tools(context.Background(), []string{"local"})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, ti := range infos {
			if ti.Allowed {
				out = append(out, ti.Name)
			}
		}
		return out
	}
	if got := allowed(m2); !slices.Equal(got, []string{"echo"}) {
		t.Fatalf("a new manager allows %v, want [echo]", got)
	}
	m2.SetAllowed("local", nil)
	if got := allowed(m2); len(got) != 0 {
		t.Fatalf("after SetAllowed(nil) it allows %v", got)
	}
}
