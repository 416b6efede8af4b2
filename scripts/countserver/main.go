// Command countserver is an image host that counts the requests it gets,
// for scripts/images-window.sh: the window must fetch nothing by itself.
//
//	countserver -addr-file F -hits-file H [-chat FILE]
//
// listens on 127.0.0.1 (a free port), writes "http://127.0.0.1:PORT" to F,
// and serves until killed. -chat writes a deskchat export (for `deskchat
// import`) of one chat whose answers are full of images on this server.
//
// Every request is counted and answered with a small PNG; H always holds
// the count (0 at the start).
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	addrFile := flag.String("addr-file", "", "write the server's base URL to this file")
	hitsFile := flag.String("hits-file", "", "keep the number of requests in this file")
	chatFile := flag.String("chat", "", "write a deskchat export of a chat full of this server's images to this file")
	flag.Parse()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	if *chatFile != "" {
		if err := writeChat(*chatFile, base); err != nil {
			log.Fatal(err)
		}
	}
	if *addrFile != "" {
		// Written to a temporary name and renamed, so the script never reads half.
		if err := os.WriteFile(*addrFile+".tmp", []byte(base), 0o600); err != nil {
			log.Fatal(err)
		}
		if err := os.Rename(*addrFile+".tmp", *addrFile); err != nil {
			log.Fatal(err)
		}
	}
	var hits atomic.Int64
	var mu sync.Mutex
	count := func() {
		mu.Lock()
		defer mu.Unlock()
		if *hitsFile != "" {
			if err := os.WriteFile(*hitsFile, []byte(fmt.Sprint(hits.Load())), 0o600); err != nil {
				log.Fatal(err)
			}
		}
	}
	count()
	img := pngImage()
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		count()
		log.Printf("countserver: request %s %s", r.Method, r.URL)
		w.Header().Set("Content-Type", "image/png")
		w.Write(img)
	})
	log.Fatal(http.Serve(ln, nil))
}

func pngImage() []byte {
	m := image.NewNRGBA(image.Rect(0, 0, 96, 48))
	for y := range 48 {
		for x := range 96 {
			m.Set(x, y, color.NRGBA{R: uint8(40 + x*2), G: uint8(120 + y), B: uint8(200 - x), A: 255})
		}
	}
	var b bytes.Buffer
	png.Encode(&b, m)
	return b.Bytes()
}

// answer is markdown with images wherever markdown allows one.
func answer(web string) string {
	dot := base64.StdEncoding.EncodeToString(pngImage())
	return strings.NewReplacer("WEB", web, "DOT", dot).Replace(`Here is the chart you asked for: ![sales chart](WEB/chart.png?d=secret%20notes)

And the same one again ![sales chart](WEB/chart.png?d=secret%20notes)

- a list item ![in a list](WEB/list.png)
- another

| item | picture |
|---|---|
| one | ![in a cell](WEB/cell.png) |

> quoted ![in a quote](WEB/quote.png)

[ref]: WEB/ref.png
![by reference][ref]

<img src="WEB/html.png"> raw HTML, [![linked](WEB/inlink.png)](WEB/target) a [link](WEB/link)

![a local file](file:///etc/passwd) ![ftp](ftp://example.org/x.png)

An embedded image shows without a click: ![embedded](data:image/png;base64,DOT)`)
}

// writeChat writes a deskchat export (store/transfer/deskchat.go) holding
// one chat of three questions, each answered with answer(web).
func writeChat(path, web string) error {
	type msg struct {
		Seq       int       `json:"seq"`
		Role      string    `json:"role"`
		Content   string    `json:"content"`
		State     string    `json:"state"`
		Provider  string    `json:"provider,omitempty"`
		Model     string    `json:"model,omitempty"`
		CreatedAt time.Time `json:"created_at"`
		UpdatedAt time.Time `json:"updated_at"`
	}
	now := time.Now().UTC()
	var msgs []msg
	for i := 1; i <= 3; i++ {
		msgs = append(msgs,
			msg{Seq: 2*i - 1, Role: "user", Content: fmt.Sprintf("Draw me a chart (%d)", i), State: "done", CreatedAt: now, UpdatedAt: now},
			msg{Seq: 2 * i, Role: "assistant", Content: answer(web), State: "done", Provider: "Simulator", Model: "simulated-markdown", CreatedAt: now, UpdatedAt: now})
	}
	doc := map[string]any{"format": "deskchat", "version": 1, "exported_at": now, "conversations": []any{map[string]any{
		"id": "images", "title": "Images everywhere", "created_at": now, "updated_at": now, "messages": msgs}}}
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}
