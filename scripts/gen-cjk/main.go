// Command gen-cjk writes a deskchat history holding two chats whose answers
// are Chinese, Japanese and Korean markdown: headings, bold, lists ("text"),
// and a table and highlighted code ("code"), for the CJK screenshots
// (scripts/cjk-window.sh).
//
// Usage:
//
//	go run ./scripts/gen-cjk -dir D [-only NAME]
//
// The Simulator is made the default provider, so the window opens without
// the first-run dialog, on the chat written last.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/deskchat/deskchat/internal/seed"
)

// answers are the chats written: CJK prose ("通过**杠杆原理**和滑轮组" must
// show without a gap), and a table with highlighted code.
var answers = []seed.Chat{
	{Name: "text", Title: "杠杆原理 · てこ · 지레", Question: "用中文、日本語와 한국어 explain **levers**", Answer: "# 简单机械\n\n" +
		"古人通过**杠杆原理**和滑轮组搬运巨石，*省力*但费距离。\n\n" +
		"- 杠杆：**支点**、动力臂、阻力臂\n" +
		"- 滑轮：定滑轮与**动滑轮**\n\n" +
		"## 日本語\n\n" +
		"てこの原理は**アルキメデス**が説明しました。カタカナとひらがなも表示されます。\n\n" +
		"1. **支点**：てこを支える点\n" +
		"2. *力点*と作用点\n\n" +
		"### 한국어\n\n" +
		"지레의 원리는 **힘**을 줄여 줍니다. 한글도 잘 보여야 합니다.\n"},
	{Name: "code", Title: "表格与代码 · 表とコード · 표와 코드", Question: "Show a table and code, 请", Answer: "| 语言 | 例子 | **粗体** |\n|---|---|---|\n| 中文 | 你好 | **世界** |\n| 日本語 | こんにちは | **世界** |\n| 한국어 | 안녕하세요 | **세계** |\n\n" +
		"```go\n// Moment 计算力矩 (N·m)\nfunc Moment(force, arm float64) float64 {\n\tif arm < 0 {\n\t\treturn 0 // 无效\n\t}\n\treturn force * arm\n}\n```\n\n" +
		"```python\ndef lever(f: float, a: float) -> float:\n    \"\"\"てこ\"\"\"\n    return f * a  # 힘 × 팔\n```\n"},
}

func main() {
	dir := flag.String("dir", "", "data folder to write (created)")
	only := flag.String("only", "", "write only this chat (text, code)")
	flag.Parse()
	if *dir == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: gen-cjk -dir D [-only NAME]")
		os.Exit(2)
	}
	if err := run(*dir, *only); err != nil {
		fmt.Fprintln(os.Stderr, "gen-cjk:", err)
		os.Exit(1)
	}
}

func run(dir, only string) error {
	return seed.Write(dir, answers, only, os.Stdout)
}
