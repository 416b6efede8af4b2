// Command gen-cjk writes a deskchat history holding one chat whose answer is
// Chinese, Japanese and Korean markdown (headings, bold, a list, a table)
// and highlighted code, for the CJK screenshots (scripts/cjk-window.sh).
//
// Usage:
//
//	go run ./scripts/gen-cjk -dir D
//
// The Simulator is made the default provider, so the window opens without
// the first-run dialog, on this chat.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"deskchat/engine"
	"deskchat/store"
)

// Answer is the answer shown; "通过**杠杆原理**和滑轮组" must show without a gap.
const Answer = "# 简单机械\n\n" +
	"古人通过**杠杆原理**和滑轮组搬运巨石，*省力*但费距离。\n\n" +
	"- 杠杆：**支点**、动力臂、阻力臂\n" +
	"- 滑轮：定滑轮与**动滑轮**\n\n" +
	"## 日本語\n\n" +
	"てこの原理は**アルキメデス**が説明しました。カタカナとひらがなも表示されます。\n\n" +
	"### 한국어\n\n" +
	"지레의 원리는 **힘**을 줄여 줍니다. 한글도 잘 보여야 합니다.\n\n" +
	"| 语言 | 例子 | **粗体** |\n|---|---|---|\n| 中文 | 你好 | **世界** |\n| 日本語 | こんにちは | **世界** |\n| 한국어 | 안녕하세요 | **세계** |\n\n" +
	"```go\n// 计算力矩 (moment)\nfunc Moment(force, arm float64) float64 {\n\treturn force * arm // N·m\n}\n```\n\n" +
	"```python\ndef lever(f: float, a: float) -> float:\n    \"\"\"てこ\"\"\"\n    return f * a  # 힘 × 팔\n```\n"

func main() {
	dir := flag.String("dir", "", "data folder to write (created)")
	flag.Parse()
	if *dir == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: gen-cjk -dir D")
		os.Exit(2)
	}
	if err := run(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "gen-cjk:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	st, err := store.Open(dir)
	if err != nil {
		return errors.New(store.UserMessage(err))
	}
	defer st.Close()
	if err := st.SetSettings(map[string]string{store.SettingDefaultProvider: engine.SimulatorName}); err != nil {
		return err
	}
	t := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	d := store.Dump{Conversation: store.Conversation{Title: "杠杆原理 · てこ · 지레", Provider: engine.SimulatorName, Model: "simulated-markdown", CreatedAt: t, UpdatedAt: t}}
	d.Messages = []store.Message{
		{Role: store.RoleUser, Content: "用中文、日本語와 한국어 explain **levers**", State: store.StateDone, CreatedAt: t, UpdatedAt: t},
		{Role: store.RoleAssistant, Content: Answer, State: store.StateDone, Provider: engine.SimulatorName, Model: "simulated-markdown", CreatedAt: t, UpdatedAt: t},
	}
	rs, err := st.ImportConversations([]store.Import{{Dump: d}})
	if err != nil {
		return err
	}
	fmt.Println("cjk", rs[0].ID)
	return nil
}
