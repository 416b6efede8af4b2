package tokens

import (
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestEncodingFor(t *testing.T) {
	for model, want := range map[string]struct {
		enc   string
		exact bool
	}{
		"gpt-4o":                    {O200k, true},
		"gpt-4o-mini-2024-07-18":    {O200k, true},
		"gpt-4.1-nano":              {O200k, true},
		"gpt-5":                     {O200k, true},
		"o3-mini":                   {O200k, true},
		"openai/o4-mini":            {O200k, true},
		"gpt-4-turbo":               {CL100k, true},
		"gpt-3.5-turbo":             {CL100k, true},
		"llama-3.3-70b-versatile":   {O200k, false},
		"deepseek-chat":             {O200k, false},
		"anthropic/claude-sonnet-4": {O200k, false},
	} {
		enc, exact := EncodingFor(model)
		if enc != want.enc || exact != want.exact {
			t.Errorf("EncodingFor(%q) = %s %v, want %s %v", model, enc, exact, want.enc, want.exact)
		}
	}
}

// The token ids below are the ones OpenAI's cookbook ("How to count tokens
// with tiktoken") prints for "tiktoken is great!".
func TestCountMatchesOpenAIsTokenizer(t *testing.T) {
	enc, err := get(CL100k)
	if err != nil {
		t.Fatal(err)
	}
	if got := enc.EncodeOrdinary("tiktoken is great!"); !reflect.DeepEqual(got, []int{83, 1609, 5963, 374, 2294, 0}) {
		t.Errorf("cl100k ids %v", got)
	}
	if n, est := Count("gpt-4", "tiktoken is great!"); n != 6 || est {
		t.Errorf("Count(gpt-4) = %d %v", n, est)
	}
	o, _ := Count("gpt-4o", strings.Repeat("hello world ", 100))
	e, est := Count("llama3.2", strings.Repeat("hello world ", 100))
	if !est || e != o+(o+9)/10 {
		t.Errorf("estimate %d (flag %v) for an o200k count of %d, want +10%%", e, est, o)
	}
	if n, _ := Count("gpt-4o", ""); n != 0 {
		t.Errorf("empty text counts %d", n)
	}
}

// mixedText is English prose, Chinese and Go code, as chats mix them.
func mixedText() string {
	en := "The quick brown fox jumps over the lazy dog while the engine streams tokens to the window. "
	zh := "这是一个用于测试分词速度的中文句子，包含常见的汉字和标点符号。"
	code := "func add(a, b int) int {\n\treturn a + b // sum\n}\n"
	var sb strings.Builder
	for sb.Len() < 64<<10 {
		sb.WriteString(en)
		sb.WriteString(zh)
		sb.WriteString(code)
	}
	return sb.String()
}

// BenchmarkCountTokens counts 64 KB of mixed English, Chinese and code with
// o200k_base and reports tokens per second.
func BenchmarkCountTokens(b *testing.B) {
	text := mixedText()
	n, _ := Count("gpt-4o", text) // builds the encoder outside the timing
	b.SetBytes(int64(len(text)))
	// The median of several passes: one pass (make bench runs -benchtime
	// 1x) is at the mercy of a garbage collection or a neighbour's burst.
	const passes = 7
	var rates []float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for p := 0; p < passes; p++ {
			t0 := time.Now()
			Count("gpt-4o", text)
			rates = append(rates, float64(n)/time.Since(t0).Seconds())
		}
	}
	sort.Float64s(rates)
	b.ReportMetric(rates[len(rates)/2], "count_tokens_per_sec@tokens/s")
}

func TestHugeRunsAreEstimatedAndPiecesAddUp(t *testing.T) {
	// Prose split into pieces counts what the tokenizer counts for it whole,
	// give or take a token at each cut.
	prose := strings.Repeat("The engine streams tokens to the window while the user reads. ", 2000)
	whole, _ := get(O200k)
	exact := len(whole.EncodeOrdinary(prose))
	if n, _ := Count("gpt-4o", prose); n < exact || n > exact+len(prose)/pieceSize+2 {
		t.Errorf("pieces count %d, whole %d", n, exact)
	}
	// A 10 MB run without spaces is estimated at four bytes a token, fast.
	run := strings.Repeat("x", 10<<20)
	if n, _ := Count("gpt-4o", "before "+run+" after"); n != (len(run)+3)/4+3 && n != (len(run)+3)/4+2 {
		t.Errorf("run counted %d, want about %d", n, len(run)/4)
	}
}

// A long text's pieces are counted on every core; the sum is the one of
// counting them one after another.
func TestPiecesCountedInParallelAddUpAsInSequence(t *testing.T) {
	enc, err := get(O200k)
	if err != nil {
		t.Fatal(err)
	}
	text := mixedText() + mixedText()
	var pieces []string
	want := 0
	for len(text) > 0 {
		end := pieceEnd(text)
		pieces = append(pieces, text[:end])
		want += len(enc.EncodeOrdinary(text[:end]))
		text = text[end:]
	}
	if len(pieces) < 4 {
		t.Fatalf("%d pieces: the text is too short to test this", len(pieces))
	}
	if got := countPieces(enc, pieces); got != want {
		t.Fatalf("parallel %d, sequential %d", got, want)
	}
}
