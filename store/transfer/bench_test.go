package transfer

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/deskchat/deskchat/store"
)

// Benchmarks print NAME@UNIT metrics for scripts/bench.sh:
//
//	go test -run '^$' -bench . -benchtime 1x ./store/transfer

// BenchmarkExport10k exports 100 conversations of 100 messages (10,000
// messages) to a file, atomically, in each format. Goal: ≤ 1,000 ms each.
// HTML misses it on a loaded machine: colouring the 5,000 code blocks with
// chroma is about 1.2 s of CPU (export_10k_cpu_ms_html), spread over all
// cores.
func BenchmarkExport10k(b *testing.B) {
	st := openStore(b)
	all := generated(100, 100)
	for i := 0; i < len(all); i += 10 { // the importer's store side: ten conversations a transaction
		if _, err := st.ImportConversations(all[i : i+10]); err != nil {
			b.Fatal(err)
		}
	}
	dir := b.TempDir()
	for _, f := range []Format{Markdown, JSON, HTML} {
		b.Run(string(f), func(b *testing.B) {
			path := filepath.Join(dir, "export."+string(f))
			var res ExportResult
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				var err error
				if res, err = ExportFile(ctx, st, path, ExportOptions{Format: f}); err != nil {
					b.Fatal(err)
				}
			}
			if res.Messages != 10000 {
				b.Fatalf("exported %d messages", res.Messages)
			}
			fi, _ := os.Stat(path)
			b.SetBytes(fi.Size())
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "export_10k_ms_"+string(f)+"@ms")
			// CPU time, all threads: on a shared machine the wall time
			// above says as much about the neighbours as about the export.
			b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "export_10k_cpu_ms_"+string(f)+"@ms")
		})
	}
}

// cpuTime is the CPU time this process has used (user and system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkImportChatGPT imports a generated ChatGPT conversations.json of
// 101,000 messages (1,000 conversations of 100 on the active path and one
// on another branch) into an empty store.
func BenchmarkImportChatGPT(b *testing.B) {
	const convs, msgs = 1000, 100
	path := filepath.Join(b.TempDir(), "conversations.json")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := writeChatGPT(f, convs, msgs, 300); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	fi, _ := os.Stat(path)
	b.SetBytes(fi.Size())
	b.ResetTimer()
	var took time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st, err := store.Open(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		rep, err := ImportFile(ctx, st, path, ImportOptions{})
		took += time.Since(start)
		b.StopTimer()
		st.Close()
		if err != nil || rep.Messages != convs*(msgs+1) {
			b.Fatalf("%+v %v", rep, err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(convs*(msgs+1)*b.N)/took.Seconds(), "import_chatgpt_msgs_per_sec@msgs/s")
}
