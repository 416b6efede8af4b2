package store

import (
	"encoding/json"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// bucketToolServers: server name → ToolServer (JSON).
var bucketToolServers = []byte("tool_servers")

// ToolServer is an MCP server deskchat may start or reach: over stdio
// (Command and Args) or over streamable HTTP (URL). It never holds a
// secret: Env and Header are names only; their values are in the keychain
// (under "mcp:NAME:env:K" and "mcp:NAME:header:K") or, for the names listed
// in EnvFromProcess, in deskchat's own environment when the server starts.
type ToolServer struct {
	V       int      `json:"v"`
	Name    string   `json:"name"`
	Command string   `json:"command,omitempty"`
	Args    []string `json:"args,omitempty"`
	// Env names the variables the server gets from the keychain.
	Env []string `json:"env,omitempty"`
	// EnvFromProcess names the variables passed on from deskchat's own
	// environment (`--env K` with no value).
	EnvFromProcess []string `json:"env_from_process,omitempty"`
	URL            string   `json:"url,omitempty"`
	// Header names the HTTP headers whose values are in the keychain.
	Header []string `json:"header,omitempty"`
	// Disabled names the server's tools the user turned off: they are not
	// offered to models.
	Disabled []string `json:"disabled,omitempty"`
	// Allowed names the tools the user always allows: they run without
	// asking first.
	Allowed   []string  `json:"allowed,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// PutToolServer creates or replaces the tool server named t.Name, keeping
// the first CreatedAt.
func (s *Store) PutToolServer(t ToolServer) error {
	t.Name = strings.TrimSpace(t.Name)
	if t.Name == "" {
		return &Error{Op: "put tool server", Msg: "A tool server needs a name.", Err: ErrNotFound}
	}
	t.V = recordVersion
	err := s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketToolServers)
		if old := b.Get([]byte(t.Name)); old != nil {
			var prev ToolServer
			if err := json.Unmarshal(old, &prev); err == nil {
				t.CreatedAt = prev.CreatedAt
			}
		}
		if t.CreatedAt.IsZero() {
			t.CreatedAt = s.now().UTC()
		}
		return putJSON(b, []byte(t.Name), t)
	})
	return wrap("put tool server", err)
}

// ToolServer returns the tool server called name.
func (s *Store) ToolServer(name string) (ToolServer, error) {
	return getNamed[ToolServer](s, bucketToolServers, "tool server", name)
}

// ToolServers returns all tool servers sorted by name.
func (s *Store) ToolServers() ([]ToolServer, error) {
	return listNamed[ToolServer](s, bucketToolServers, "tool server")
}

// DeleteToolServer removes the tool server called name.
func (s *Store) DeleteToolServer(name string) error {
	return deleteNamed(s, bucketToolServers, "tool server", name)
}
