// Command testserver is a small MCP server over stdio for package tools'
// tests, built with the go-sdk's server side. Its tools: echo (returns
// its text), slow (waits until cancelled, or ms milliseconds, and says on
// stderr that it was cancelled), crash (exits with status 3), garbage
// (writes a line that is not JSON on stdout), big (returns bytes bytes of
// text), spawn (starts a child that sleeps, returning its pid) and env
// (returns the environment variable named by text).
//
// With the argument -garbage it writes garbage before any MCP; with -exit
// it exits at once, saying why on stderr; with -hang it never answers;
// -hidden adds a tool hidden_tool.
package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

type echoIn struct {
	Text string `json:"text,omitempty"`
}

type slowIn struct {
	MS int `json:"ms,omitempty"`
}

type bigIn struct {
	Bytes int `json:"bytes,omitempty"`
}

type none struct{}

func text(s string) *mcp.CallToolResult {
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: s}}}
}

func main() {
	for _, a := range os.Args[1:] {
		switch a {
		case "-garbage":
			fmt.Println("this is not JSON-RPC")
		case "-hang":
			select {} // never answers initialize
		case "-exit":
			fmt.Fprintln(os.Stderr, "testserver: told to exit")
			os.Exit(2)
		}
	}
	s := mcp.NewServer(&mcp.Implementation{Name: "testserver", Version: "1"}, nil)
	mcp.AddTool(s, &mcp.Tool{Name: "echo", Description: "Returns its text."}, func(_ context.Context, _ *mcp.CallToolRequest, in echoIn) (*mcp.CallToolResult, any, error) {
		return text(in.Text), nil, nil
	})
	mcp.AddTool(s, &mcp.Tool{Name: "slow", Description: "Waits until cancelled."}, func(ctx context.Context, _ *mcp.CallToolRequest, in slowIn) (*mcp.CallToolResult, any, error) {
		fmt.Fprintln(os.Stderr, "testserver: slow started")
		d := time.Hour
		if in.MS > 0 {
			d = time.Duration(in.MS) * time.Millisecond
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return text("slept"), nil, nil
		case <-ctx.Done():
			fmt.Fprintln(os.Stderr, "testserver: slow was cancelled")
			return nil, nil, ctx.Err()
		}
	})
	mcp.AddTool(s, &mcp.Tool{Name: "crash", Description: "Exits."}, func(context.Context, *mcp.CallToolRequest, none) (*mcp.CallToolResult, any, error) {
		fmt.Fprintln(os.Stderr, "testserver: crashing as asked")
		os.Exit(3)
		return nil, nil, nil
	})
	mcp.AddTool(s, &mcp.Tool{Name: "garbage", Description: "Writes garbage."}, func(context.Context, *mcp.CallToolRequest, none) (*mcp.CallToolResult, any, error) {
		os.Stdout.WriteString("garbage garbage\n")
		select {} // the answer never comes: the client must notice the garbage
	})
	mcp.AddTool(s, &mcp.Tool{Name: "big", Description: "Returns much text."}, func(_ context.Context, _ *mcp.CallToolRequest, in bigIn) (*mcp.CallToolResult, any, error) {
		return text(strings.Repeat("é", in.Bytes/2)), nil, nil
	})
	mcp.AddTool(s, &mcp.Tool{Name: "spawn", Description: "Starts a child."}, func(context.Context, *mcp.CallToolRequest, none) (*mcp.CallToolResult, any, error) {
		cmd := exec.Command("sleep", "1000")
		if err := cmd.Start(); err != nil {
			return nil, nil, err
		}
		return text(strconv.Itoa(cmd.Process.Pid)), nil, nil
	})
	mcp.AddTool(s, &mcp.Tool{Name: "env", Description: "Returns an environment variable."}, func(_ context.Context, _ *mcp.CallToolRequest, in echoIn) (*mcp.CallToolResult, any, error) {
		return text(os.Getenv(in.Text)), nil, nil
	})
	for _, a := range os.Args[1:] {
		if a == "-hidden" {
			mcp.AddTool(s, &mcp.Tool{Name: "hidden_tool", Description: "Turned off by the user."}, func(context.Context, *mcp.CallToolRequest, none) (*mcp.CallToolResult, any, error) {
				return text("should not run"), nil, nil
			})
		}
	}
	if err := s.Run(context.Background(), &mcp.StdioTransport{}); err != nil {
		fmt.Fprintln(os.Stderr, "testserver:", err)
		os.Exit(1)
	}
}
