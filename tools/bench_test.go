package tools

import (
	"bufio"
	"context"
	"encoding/json"
	"os/exec"
	"sort"
	"testing"
	"time"
)

// BenchmarkMCPStdioCall measures mcp_stdio_call_ms_p50: 200 calls of the
// in-repo server's echo over stdio, the median reported.
func BenchmarkMCPStdioCall(b *testing.B) {
	m := New(nil, Options{Secret: secretsMap(nil)})
	defer m.Close()
	m.Set(stdio("local"))
	ctx := context.Background()
	if _, err := m.Call(ctx, "local", "echo", json.RawMessage(`{"text":"warm"}`)); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		took := make([]time.Duration, 200)
		for i := range took {
			start := time.Now()
			res, err := m.Call(ctx, "local", "echo", json.RawMessage(`{"text":"ping"}`))
			took[i] = time.Since(start)
			if err != nil || res.Text != "ping" {
				b.Fatalf("echo = %+v, %v", res, err)
			}
		}
		sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
		b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "mcp_stdio_call_ms_p50@ms")
	}
}

// BenchmarkStdioPipeRoundTrip is mcp_stdio_call_ms_p50's floor: a line
// through cat's stdin and back from its stdout, no MCP.
func BenchmarkStdioPipeRoundTrip(b *testing.B) {
	cmd := exec.Command("cat")
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { in.Close(); cmd.Wait() }()
	r := bufio.NewReader(out)
	for b.Loop() {
		took := make([]time.Duration, 200)
		for i := range took {
			start := time.Now()
			in.Write([]byte("{\"text\":\"ping\"}\n"))
			if _, err := r.ReadString('\n'); err != nil {
				b.Fatal(err)
			}
			took[i] = time.Since(start)
		}
		sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
		b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "stdio_pipe_round_trip_ms_p50@ms")
	}
}
