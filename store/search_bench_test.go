package store

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deskchat/deskchat/store/search"

	bolt "go.etcd.io/bbolt"
)

// The figures of the search index, on a generated history of 100,000
// messages (5,000 conversations; English with rare words, Chinese, Japanese,
// code), generated once per run and copied for each sub-benchmark:
//
//	go test -run '^$' -bench History100k -benchtime 1x ./store
//
// reports search_100k_p95_ms, append_message_ms_p99 (with searches running),
// open_db_ms_100k, and the commit cost of AppendMessage and of a request's
// two commits with and without the index.
func BenchmarkHistory100k(b *testing.B) {
	dir := b.TempDir()
	start := time.Now()
	gen := genHistory(b, dir, 100_000, 1000)
	genTime := time.Since(start)
	fi, _ := os.Stat(filepath.Join(dir, FileName))
	b.Logf("generated %d messages in %d conversations (%d MB of text, %d MB file) in %v",
		gen.messages, len(gen.convs), gen.textBytes>>20, fi.Size()>>20, genTime.Round(time.Millisecond))
	e := &benchEnv{dir: dir, gen: gen, queries: benchQueries(gen), genTime: genTime}

	b.Run("open", func(b *testing.B) { benchOpen(b, e) })

	b.Run("search", func(b *testing.B) { benchSearch(b, e) })

	b.Run("append_during_search", func(b *testing.B) { benchAppendDuringSearch(b, e) })

	b.Run("commit_cost", func(b *testing.B) { benchCommitCost(b, e) })

	b.Run("merge", func(b *testing.B) { benchMerge(b, e) })
}

// benchEnv is what BenchmarkHistory100k's parts share: the generated
// history (copied for each part) and the queries.
type benchEnv struct {
	dir     string
	gen     *history
	queries []string
	genTime time.Duration
}

// benchOpen is the open part of BenchmarkHistory100k.
func benchOpen(b *testing.B, e *benchEnv) {
	dir, gen, genTime := e.dir, e.gen, e.genTime
	d := copyDB(b, dir)
	var open, ready []time.Duration
	for i := 0; i < 7; i++ {
		t0 := time.Now()
		s, err := Open(d)
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := s.Conversations(); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Search("kubernetes", SearchOptions{}); err != nil {
			b.Fatal(err)
		}
		open, ready = append(open, t1.Sub(t0)), append(ready, time.Since(t0))
		s.Close()
	}
	b.ReportMetric(ms(pct(open, 50)), "open_db_ms_100k@ms")
	b.ReportMetric(ms(pct(ready, 50)), "open_list_search_ms_100k@ms")
	b.ReportMetric(genTime.Seconds(), "gen_100k_s@s")
	b.ReportMetric(gen.buildTime.Seconds(), "migrate_index_100k_s@s")
}

// benchSearch is the search part of BenchmarkHistory100k.
func benchSearch(b *testing.B, e *benchEnv) {
	dir, queries := e.dir, e.queries
	s := openBench(b, copyDB(b, dir))
	for _, q := range queries { // warm the page cache as a running app has it
		s.Search(q, SearchOptions{})
	}
	for _, by := range []SearchOrder{ByNewest, ByRelevance} {
		var lat []time.Duration
		found := 0
		for _, q := range queries {
			t0 := time.Now()
			rs, err := s.Search(q, SearchOptions{By: by})
			lat = append(lat, time.Since(t0))
			if err != nil {
				b.Fatal(err)
			}
			if len(rs) > 0 {
				found++
			}
		}
		if by == ByNewest {
			b.ReportMetric(ms(pct(lat, 95)), "search_100k_p95_ms@ms")
			b.ReportMetric(ms(pct(lat, 50)), "search_100k_p50_ms@ms")
			b.ReportMetric(ms(pct(lat, 100)), "search_100k_max_ms@ms")
			b.ReportMetric(float64(found), "search_100k_queries_with_results@n")
		} else {
			b.ReportMetric(ms(pct(lat, 95)), "search_100k_relevance_p95_ms@ms")
		}
		slowest := slices.Clone(queries)
		idx := make([]int, len(lat))
		for i := range idx {
			idx[i] = i
		}
		slices.SortFunc(idx, func(a, c int) int { return int(lat[c] - lat[a]) })
		for _, i := range idx[:3] {
			b.Logf("%s: slow query %q %v", by, slowest[i], lat[i].Round(10*time.Microsecond))
		}
	}
}

// benchAppendDuringSearch is the append_during_search part of BenchmarkHistory100k.
func benchAppendDuringSearch(b *testing.B, e *benchEnv) {
	dir, gen, queries := e.dir, e.gen, e.queries
	s := openBench(b, copyDB(b, dir))
	r := rand.New(rand.NewPCG(7, 7))
	appendN := func(n int, lat []time.Duration) []time.Duration {
		for i := 0; i < n; i++ {
			m := Message{ConversationID: gen.convs[r.IntN(len(gen.convs))], Role: RoleUser, Content: gen.text(r, RoleUser)}
			t0 := time.Now()
			if _, err := s.AppendMessage(m); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
		return lat
	}
	// A control without searches before and after, as the disk is
	// shared with whatever else runs.
	control := appendN(150, nil)
	stop := make(chan struct{})
	var searches atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			s.Search(queries[i%len(queries)], SearchOptions{})
			searches.Add(1)
		}
	}()
	lat := appendN(300, nil)
	close(stop)
	wg.Wait()
	control = appendN(150, control)
	b.ReportMetric(ms(pct(lat, 99)), "append_message_ms_p99@ms")
	b.ReportMetric(ms(pct(lat, 50)), "append_message_ms_p50@ms")
	b.ReportMetric(ms(pct(control, 99)), "append_message_ms_p99_nosearch@ms")
	b.ReportMetric(ms(pct(control, 50)), "append_message_ms_p50_nosearch@ms")
	b.ReportMetric(float64(searches.Load()), "append_concurrent_searches@n")
}

// benchCommitCost is the commit_cost part of BenchmarkHistory100k.
func benchCommitCost(b *testing.B, e *benchEnv) {
	dir, gen := e.dir, e.gen
	s := openBench(b, copyDB(b, dir))
	r := rand.New(rand.NewPCG(8, 8))
	type sample struct {
		append, request []time.Duration
		bytes, commits  int64
	}
	var runs [2]sample // with, without the index
	for i := 0; i < 600; i++ {
		off := i%2 == 1 // interleaved, so that both see the same disk
		s.search.SetOff(off)
		smp := &runs[btoi(off)]
		conv := gen.convs[r.IntN(len(gen.convs))]
		st0 := s.db.Stats()
		before := st0.TxStats.GetPageAlloc()
		t0 := time.Now()
		if _, err := s.AppendMessage(Message{ConversationID: conv, Role: RoleUser, Content: gen.text(r, RoleUser)}); err != nil {
			b.Fatal(err)
		}
		smp.append = append(smp.append, time.Since(t0))
		st1 := s.db.Stats()
		smp.bytes += st1.TxStats.GetPageAlloc() - before
		smp.commits++

		// A request as the engine writes it: the question with its empty
		// answer, then the answer's final state.
		t0 = time.Now()
		_, a, err := s.AppendExchange(Message{ConversationID: conv, Role: RoleUser, Content: gen.text(r, RoleUser)},
			Message{ConversationID: conv, Role: RoleAssistant, State: StateStreaming})
		if err != nil {
			b.Fatal(err)
		}
		a.Content, a.State = gen.text(r, RoleAssistant), StateDone
		if err := s.FinishAnswer(a, &UsageRecord{Provider: "p", Model: "m", Outcome: "done"}, nil, nil); err != nil {
			b.Fatal(err)
		}
		smp.request = append(smp.request, time.Since(t0))
	}
	for i, name := range []string{"index", "noindex"} {
		b.ReportMetric(ms(pct(runs[i].append, 50)), "append_commit_ms_p50_"+name+"@ms")
		b.ReportMetric(ms(pct(runs[i].append, 99)), "append_commit_ms_p99_"+name+"@ms")
		b.ReportMetric(ms(pct(runs[i].request, 50)), "request_commits_ms_p50_"+name+"@ms")
		b.ReportMetric(ms(pct(runs[i].request, 99)), "request_commits_ms_p99_"+name+"@ms")
		b.ReportMetric(float64(runs[i].bytes/runs[i].commits)/1024, "append_commit_kb_"+name+"@KB")
	}
}

// benchMerge is the merge part of BenchmarkHistory100k.
func benchMerge(b *testing.B, e *benchEnv) {
	dir, gen := e.dir, e.gen
	r := rand.New(rand.NewPCG(9, 9))
	// The recent segment already holds 1,000 docs: fill it to the
	// threshold.
	// One merge transaction of the whole recent segment, then the same
	// in transactions of 512 docs, between which writers get the lock.
	for _, batch := range []int{search.MergeThreshold, 512} {
		d := copyDB(b, dir)
		s := openBenchTuned(b, d, search.Config{Threshold: 1 << 40}) // merge by hand
		for i := 0; i < search.MergeThreshold-1000; i++ {
			m := Message{ConversationID: gen.convs[r.IntN(len(gen.convs))], Role: RoleAssistant, Content: gen.text(r, RoleAssistant)}
			if _, err := s.AppendMessage(m); err != nil {
				b.Fatal(err)
			}
		}
		var lat []time.Duration
		for more := true; more; {
			t0 := time.Now()
			err := s.db.Update(func(tx *bolt.Tx) (err error) {
				more, err = search.Merge(tx, batch)
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
		var total time.Duration
		for _, l := range lat {
			total += l
		}
		b.ReportMetric(ms(pct(lat, 100)), fmt.Sprintf("merge_%d_max_tx_ms@ms", batch))
		b.ReportMetric(ms(total), fmt.Sprintf("merge_%d_total_ms@ms", batch))
	}
}

func btoi(v bool) int {
	if v {
		return 1
	}
	return 0
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// pct returns the p-th percentile (nearest rank) of ds.
func pct(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func openBench(b *testing.B, dir string) *Store {
	b.Helper()
	return openBenchTuned(b, dir, search.Config{})
}

func openBenchTuned(b *testing.B, dir string, sc search.Config) *Store {
	b.Helper()
	s, err := openPath(filepath.Join(dir, FileName), sc)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// copyDB copies the database in dir to a new temporary dir and returns it.
func copyDB(b *testing.B, dir string) string {
	b.Helper()
	to := b.TempDir()
	src, err := os.Open(filepath.Join(dir, FileName))
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(filepath.Join(to, FileName), os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		b.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		b.Fatal(err)
	}
	return to
}

// ---------------------------------------------------------------------------
// The generated history

type history struct {
	convs     []string
	messages  int
	textBytes int
	rare      []string // the invented vocabulary, most frequent first
	zipf      *rand.Zipf
	buildTime time.Duration // of the index, by the migration
}

// genHistory writes n messages into a new store in dir, thousands per
// transaction through appendMessages: all but the last unmerged without the
// index, then it builds the index as the migration does, then it writes the
// last ones indexed as the app does (they stay in search_recent).
func genHistory(tb testing.TB, dir string, n, unmerged int) *history {
	tb.Helper()
	s, err := Open(dir)
	if err != nil {
		tb.Fatal(err)
	}
	defer s.Close()
	r := rand.New(rand.NewPCG(1, 2))
	h := &history{rare: inventWords(rand.New(rand.NewPCG(3, 4)), 3000)}
	h.zipf = rand.NewZipf(r, 1.1, 2, uint64(len(h.rare)-1))
	now := time.Date(2025, 1, 1, 8, 0, 0, 0, time.UTC)
	var convID string
	left := 0 // messages left in the current conversation
	write := func(count int) {
		err := s.db.Update(func(tx *bolt.Tx) error {
			out := make([]Message, 1)
			for i := 0; i < count; i++ {
				var update []func(*Conversation)
				if left == 0 {
					c := Conversation{V: recordVersion, ID: newID(), CreatedAt: now, UpdatedAt: now, Provider: "openai", Model: "gpt-4o-mini"}
					if _, err := tx.Bucket(bucketMessages).CreateBucket([]byte(c.ID)); err != nil {
						return err
					}
					if err := putJSON(tx.Bucket(bucketConversations), []byte(c.ID), c); err != nil {
						return err
					}
					convID, left = c.ID, 2+r.IntN(39)
					h.convs = append(h.convs, c.ID)
				}
				role := RoleAssistant
				if left%2 == 0 {
					role = RoleUser
				}
				text := h.text(r, role)
				if role == RoleUser && len(h.convs) > 0 && left >= 2 && update == nil {
					title := text
					if i := strings.IndexAny(title, "?.!。？\n"); i > 0 {
						title = title[:i]
					}
					update = append(update, func(c *Conversation) {
						if c.Title == "" {
							c.Title = title
						}
					})
				}
				if err := s.appendMessages(tx, now, nil, update, out, Message{ConversationID: convID, Role: role, Content: text, Model: "gpt-4o-mini"}); err != nil {
					return err
				}
				h.messages++
				h.textBytes += len(text)
				left--
				now = now.Add(time.Duration(20+r.IntN(600)) * time.Second)
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	// The history as an older deskchat wrote it, then the migration that
	// indexes it, then what the app wrote since its last merge.
	s.search.SetOff(true)
	for done := 0; done < n-unmerged; done += 5000 {
		write(min(5000, n-unmerged-done))
	}
	s.search.SetOff(false)
	t0 := time.Now()
	if err := s.db.Update(s.buildSearchIndex); err != nil {
		tb.Fatal(err)
	}
	h.buildTime = time.Since(t0)
	write(unmerged)
	return h
}

func inventWords(r *rand.Rand, n int) []string {
	onsets := []string{"b", "br", "c", "d", "dr", "f", "g", "gl", "k", "l", "m", "n", "p", "pr", "qu", "r", "s", "st", "t", "tr", "v", "w", "z", "zh"}
	vowels := []string{"a", "e", "i", "o", "u", "ai", "ou", "y"}
	codas := []string{"", "n", "r", "x", "l", "m", "s", "th", "k"}
	seen := map[string]bool{}
	var out []string
	for len(out) < n {
		var b strings.Builder
		for i := 0; i < 2+r.IntN(2); i++ {
			b.WriteString(onsets[r.IntN(len(onsets))])
			b.WriteString(vowels[r.IntN(len(vowels))])
		}
		b.WriteString(codas[r.IntN(len(codas))])
		if w := b.String(); !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

var (
	benchNouns = strings.Fields(`database server function request response error query index cache thread process file table
		column user session token model network memory disk buffer stream channel message event handler config option value key
		record transaction lock timeout retry result test benchmark report budget schedule meeting recipe garden travel ticket hotel
		flight book chapter story character song movie camera photo bicycle kitchen coffee tea bread market price invoice contract
		design layout color font window button screen keyboard battery engine planet ocean mountain river forest weather city
		language grammar sentence word letter email password account project deadline team manager customer product feature
		release version package library module interface struct pointer slice map goroutine container cluster deployment pipeline
		workflow migration backup snapshot permission`)
	benchVerbs = strings.Fields(`use check build run write read update delete create configure install deploy test measure compare
		explain improve fix debug refactor parse encode decode store load send receive cancel restart monitor optimize translate
		summarize plan cook visit buy sell learn teach draw paint repair clean organize schedule review approve`)
	benchAdjs = strings.Fields(`fast slow large small simple complex new old safe secure reliable cheap expensive quick careful
		modern legacy remote local global private public empty full broken stable concurrent readable efficient beautiful quiet
		busy warm cold fresh spicy sweet bitter red blue green`)
	benchTech = strings.Fields(`Go Python Rust JavaScript TypeScript Kubernetes Docker PostgreSQL SQLite Redis bbolt Linux macOS
		Windows GitHub Terraform nginx gRPC JSON YAML HTTP TLS OAuth React Vue Django Flask pandas NumPy PyTorch TensorFlow Fyne
		Vim Emacs Bash Makefile WebSocket GraphQL Kafka RabbitMQ Elasticsearch Prometheus Grafana`)
	benchTemplates = []string{
		"How do I {v} the {n} in {t}?",
		"Can you {v} why my {n} is so {a}?",
		"What is the difference between a {n} and a {n}?",
		"I want to {v} a {a} {n} for my {n}.",
		"The {n} should be {a} enough to {v} every {n}.",
		"You can {v} the {n} with {t} and then {v} the {n}.",
		"First, {v} the {n}; then {v} the {a} {n}.",
		"In {t}, a {n} is usually {a}, so {v} it carefully.",
		"This happens because the {n} is {a} when the {n} is {a}.",
		"A common mistake is to {v} the {n} before you {v} the {n}.",
		"If the {n} fails, {t} will {v} the {n} after {num} seconds.",
		"Here is a {a} example that uses {t} to {v} a {n}.",
		"Make sure the {n} and the {n} are {a}.",
		"The {r} {n} was {a}, and the {n} needed a {a} {n}.",
		"Note that {t} does not {v} {a} {n}s by default.",
		"Remember to {v} your {n} every {num} days.",
		"Our {n} for {r} uses {t} and a {a} {n}.",
		"Please {v} the {n} called {r} before the {n}.",
		"Thanks! That {n} was {a}, but the {n} is still {a}.",
		"Why does {t} {v} the {n} twice?",
		"{r} and {r} both {v} the {n}, which is {a}.",
	}
	benchChinese = []string{
		"我们今天去北京大学参观。", "这个数据库的查询速度太慢了。", "请帮我解释一下这个函数的作用。", "服务器在凌晨三点突然重启了。",
		"他在上海的一家科技公司工作。", "这本书的第三章讲的是分布式系统。", "我想学习如何使用机器学习模型。", "天气预报说明天会下大雨。",
		"请把这段代码翻译成中文注释。", "缓存失效以后请求量增加了很多。", "我们需要在周五之前完成这个项目。", "这个错误通常是因为网络超时引起的。",
		"她每天早上都喝一杯绿茶。", "请检查一下配置文件里的端口号。", "这家餐厅的四川菜非常好吃。", "测试结果显示性能提高了百分之三十。",
		"我们应该先备份数据再升级系统。", "用户反馈说界面有点复杂。", "周末我打算去杭州的西湖看看。", "这个算法的时间复杂度是多少？",
		"日志里出现了很多警告信息。", "请用简单的语言解释量子计算。", "图书馆明天早上九点开门。", "我们公司的年度预算已经批准了。",
		"火车票已经买好了，下午两点出发。", "这个接口返回的数据格式是JSON。", "孩子们在公园里放风筝。", "请把会议改到下周二下午。",
		"容器启动失败，需要查看错误日志。", "长城是中国最著名的古迹之一。",
	}
	benchJapanese = []string{
		"東京都に住んでいます。", "明日は大阪で会議があります。", "このデータベースの検索が遅いです。", "コーヒーを飲みながら本を読みました。",
		"サーバーが夜中に再起動しました。", "京都の紅葉はとても美しいです。", "この関数の使い方を教えてください。", "新しいプロジェクトの締め切りは来週です。",
		"ネットワークの設定を確認してください。", "週末に富士山に登る予定です。", "エラーメッセージの意味が分かりません。", "日本語の文法はちょっと難しいです。",
		"キャッシュを削除したら直りました。", "電車が遅れて会社に遅刻しました。", "テストの結果を表にまとめました。", "猫がソファの上で寝ています。",
		"このライブラリはとても便利です。", "ログファイルに警告が出ています。", "北海道のラーメンは美味しいです。", "来月から新しいチームに入ります。",
		"バックアップを毎日取っています。", "桜の季節に花見をしましょう。", "パスワードを忘れてしまいました。", "このアルゴリズムは速いですか。",
		"図書館で勉強するのが好きです。", "設定ファイルの書き方を説明します。", "雨が降ったので傘を買いました。", "コンテナの起動に失敗しました。",
		"お寿司とてんぷらを食べました。", "画面のデザインを少し変更しました。",
	}
	benchCode = []string{
		"```go\nfunc {i}(ctx context.Context, {j} string) error {\n\tif err := {k}(ctx); err != nil {\n\t\treturn fmt.Errorf(\"{i}: %w\", err)\n\t}\n\tfmt.Println({j})\n\treturn nil\n}\n```",
		"```python\ndef {i}({j}):\n    for item in {j}:\n        print(item.{k})\n    return len({j})\n```",
		"```sh\n$ kubectl get pods -n {i} | grep {j}\n```",
		"```sql\nSELECT {i}, count(*) FROM {j} WHERE {k} IS NOT NULL GROUP BY {i};\n```",
		"```js\nconst {i} = await fetch(`/api/{j}`).then(r => r.json());\nconsole.log({i}.{k});\n```",
	}
)

func (h *history) pick(r *rand.Rand, l []string) string { return l[r.IntN(len(l))] }

func (h *history) ident(r *rand.Rand) string {
	switch r.IntN(3) {
	case 0:
		return h.pick(r, benchVerbs) + strings.ToUpper(h.pick(r, benchNouns)[:1]) + h.pick(r, benchNouns)[1:]
	case 1:
		return h.pick(r, benchVerbs) + "_" + h.pick(r, benchNouns)
	}
	return h.rare[h.zipf.Uint64()]
}

func (h *history) sentence(r *rand.Rand) string {
	t := h.pick(r, benchTemplates)
	var b strings.Builder
	for {
		i := strings.IndexByte(t, '{')
		if i < 0 {
			b.WriteString(t)
			break
		}
		b.WriteString(t[:i])
		j := strings.IndexByte(t, '}')
		switch t[i+1 : j] {
		case "n":
			b.WriteString(h.pick(r, benchNouns))
		case "v":
			b.WriteString(h.pick(r, benchVerbs))
		case "a":
			b.WriteString(h.pick(r, benchAdjs))
		case "t":
			b.WriteString(h.pick(r, benchTech))
		case "r":
			b.WriteString(h.rare[h.zipf.Uint64()])
		case "num":
			fmt.Fprint(&b, 2+r.IntN(98))
		}
		t = t[j+1:]
	}
	return b.String()
}

// text makes a message: a question of one to three sentences, or an answer
// of three to ten with sometimes a code block; some in Chinese or Japanese.
func (h *history) text(r *rand.Rand, role Role) string {
	var b strings.Builder
	n := 1 + r.IntN(3)
	if role == RoleAssistant {
		n = 3 + r.IntN(8)
	}
	lang := r.IntN(100)
	for i := 0; i < n; i++ {
		switch {
		case lang < 8:
			b.WriteString(h.pick(r, benchChinese))
		case lang < 14:
			b.WriteString(h.pick(r, benchJapanese))
		case lang < 17 && i%2 == 1: // mixed
			b.WriteString(h.pick(r, append(benchChinese[:10:10], benchJapanese[:10]...)))
		default:
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(h.sentence(r))
		}
		if role == RoleAssistant && i == n/2 && r.IntN(4) == 0 {
			code := h.pick(r, benchCode)
			code = strings.NewReplacer("{i}", h.ident(r), "{j}", h.ident(r), "{k}", h.ident(r)).Replace(code)
			b.WriteString("\n\n" + code + "\n\n")
		}
	}
	return b.String()
}

// benchQueries returns 100 varied queries: common and rare English words,
// phrases, prefixes, CJK substrings, code, and misses.
func benchQueries(h *history) []string {
	r := rand.New(rand.NewPCG(5, 6))
	var qs []string
	qs = append(qs, []string{"database", "error", "function", "server", "the", "cache", "Kubernetes", "password", "recipe", "timeout",
		"you can", "coffee", "deadline", "GraphQL", "goroutine"}...)
	qs = append(qs, []string{"database query", "fix the error", "Kubernetes cluster", "how do I", "common mistake",
		"secure password", "fast cache", "deploy the container", "restart the server", "spicy recipe"}...)
	for i := 0; i < 15; i++ {
		qs = append(qs, h.rare[200+r.IntN(len(h.rare)-200)]) // from the rare tail
	}
	qs = append(qs, []string{"datab", "kuber", "config", "transl", "sched", "prom", "concurr", "goro", "bench", "mig"}...)
	cjk := func(l []string) string {
		s := []rune(strings.TrimRight(h.pick(r, l), "。？"))
		n := 2 + r.IntN(3)
		i := r.IntN(len(s) - n + 1)
		return string(s[i : i+n])
	}
	for i := 0; i < 10; i++ {
		qs = append(qs, cjk(benchChinese), cjk(benchJapanese))
	}
	qs = append(qs, []string{"fmt.Println", "err != nil", "context.Context", "kubectl get pods", "SELECT count", "return nil",
		"print(item", "console.log", `"GROUP BY"`, "def"}...)
	qs = append(qs, []string{"xylophone", "量子纠缠态", "zzzqqq", "東京 database", "Go 服务器", "北京大学 参观", "京都", "住ん", "缓存 cache", "紅葉",
		"東京都に住ん", "京都の紅葉はとても", "我们需要在周五", "会議", `"common mistake"`, "meeting schedule", "explain", "quick", "Python pandas", "the old legacy"}...)
	if len(qs) != 100 {
		panic(fmt.Sprintf("%d bench queries", len(qs)))
	}
	return qs
}
