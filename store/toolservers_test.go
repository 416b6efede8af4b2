package store

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestToolServersPutListGetDelete(t *testing.T) {
	s := open(t, t.TempDir())
	fs := ToolServer{Name: "fs", Command: "mcp-fs", Args: []string{"/tmp"}, Env: []string{"TOKEN"}, Disabled: []string{"write"}}
	web := ToolServer{Name: "web", URL: "https://mcp.example/mcp", Header: []string{"Authorization"}}
	for _, ts := range []ToolServer{web, fs} {
		if err := s.PutToolServer(ts); err != nil {
			t.Fatal(err)
		}
	}
	list, err := s.ToolServers()
	if err != nil || len(list) != 2 || list[0].Name != "fs" || list[1].Name != "web" {
		t.Fatalf("ToolServers = %+v, %v; want fs, web", list, err)
	}
	got, err := s.ToolServer("fs")
	if err != nil || got.Command != "mcp-fs" || got.Args[0] != "/tmp" || got.Env[0] != "TOKEN" || got.Disabled[0] != "write" || got.V != recordVersion {
		t.Fatalf("ToolServer(fs) = %+v, %v", got, err)
	}
	created := got.CreatedAt
	fs.Disabled = nil
	if err := s.PutToolServer(fs); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ToolServer("fs"); !got.CreatedAt.Equal(created) || len(got.Disabled) != 0 {
		t.Fatalf("replaced = %+v; want the first CreatedAt and no disabled tools", got)
	}
	if err := s.DeleteToolServer("fs"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ToolServer("fs"); !errors.Is(err, ErrNotFound) || !strings.Contains(UserMessage(err), `no tool server called "fs"`) {
		t.Fatalf("after delete: %v; want ErrNotFound with a sentence", err)
	}
	if err := s.DeleteToolServer("fs"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v; want ErrNotFound", err)
	}
	if err := s.PutToolServer(ToolServer{Name: "  "}); err == nil {
		t.Fatal("a nameless server was stored")
	}
}

func TestToolServersSurviveReopenAndReadOnly(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	if err := s.PutToolServer(ToolServer{Name: "echo", Command: "echo-server"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ro, err := OpenReadOnly(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	list, err := ro.ToolServers()
	if err != nil || len(list) != 1 || list[0].Command != "echo-server" {
		t.Fatalf("read-only ToolServers = %+v, %v", list, err)
	}
	if _, err := os.Stat(filepath.Join(dir, FileName)); err != nil {
		t.Fatal(err)
	}
	// A deletion the read-only history refuses says so, not that there
	// is no such server (there is one).
	for _, err := range []error{ro.DeleteToolServer("echo"), ro.DeleteProvider("echo")} {
		if err == nil || strings.Contains(UserMessage(err), "There is no") || errors.Is(err, ErrNotFound) {
			t.Errorf("deleting from a read-only history: %v (%q)", err, UserMessage(err))
		}
	}
	if err := s.DeleteToolServer("nowhere"); err == nil {
		t.Error("deleting from a closed store succeeded")
	}
}

func TestRecoverKeepsToolServers(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	if err := s.PutToolServer(ToolServer{Name: "fs", Command: "mcp-fs", Env: []string{"TOKEN"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Recover(dir, time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	s = open(t, dir)
	defer s.Close()
	if got, err := s.ToolServer("fs"); err != nil || got.Command != "mcp-fs" || got.Env[0] != "TOKEN" {
		t.Fatalf("after recover: %+v, %v", got, err)
	}
}
