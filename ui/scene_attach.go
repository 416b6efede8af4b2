//go:build screenshots

package ui

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"time"

	"fyne.io/fyne/v2"

	"github.com/deskchat/deskchat/attach"
	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
)

// stageAttach stores a chat whose question went with a photo and a PDF,
// answered, and opens it with two more files in the composer's tray (a
// screenshot and a Go file), for the attachments' screenshots.
func (w *window) stageAttach() {
	now := w.now()
	type staged struct {
		id   string
		tray []store.Attachment
	}
	bridge.Run(w.b, func() (staged, error) {
		res, err := w.st.ImportConversations([]store.Import{{Dump: sceneAttachChat(now)}})
		if err != nil {
			return staged{}, err
		}
		return staged{res[0].ID, []store.Attachment{sceneScreenshot(), sceneCode()}}, nil
	}, func(s staged, err error) {
		if err != nil {
			w.showError("Could not stage the scene", err)
			return
		}
		w.win.Resize(fyne.NewSize(1180, 780))
		w.loadConversations(s.id)
		for _, a := range s.tray {
			w.compose.Tray.Add(a, nil) // the thumbnail is made on the bridge
		}
		w.compose.Input.SetText("And this error in the build: what does it mean?")
	})
}

// sceneAttachChat is the attach scene's chat, made off the UI goroutine
// (the photo is drawn pixel by pixel).
func sceneAttachChat(now time.Time) store.Dump {
	photo := scenePhoto(1200, 900)
	guide := store.Attachment{Name: "lisbon-guide.pdf", Mime: "application/pdf", Size: 1_284_311, Pages: 12, Tokens: 5_430,
		Data: []byte("%PDF-1.4\n% a stand-in for the scene: the store keeps any bytes\n%%EOF\n"),
		Text: "--- page 1 of 12 ---\nLisbon in three days\n"}
	guide.SHA256 = store.SHA256(guide.Data)
	at := now.Add(-10 * time.Minute)
	d := store.Dump{Conversation: store.Conversation{Title: "Trip to Lisbon", TitleEdited: true, Provider: engine.SimulatorName, Model: "gpt-4o", CreatedAt: at, UpdatedAt: at}}
	d.Messages = []store.Message{
		{Role: store.RoleUser, Content: "Here is the view from our hotel and the guide we were given. Which of the guide's walks starts closest to this spot?",
			State: store.StateDone, CreatedAt: at, UpdatedAt: at, Attachments: []store.Attachment{photo, guide}},
		{Role: store.RoleAssistant, Provider: "OpenAI", Model: "gpt-4o", State: store.StateDone, CreatedAt: at, UpdatedAt: at,
			PromptTokens: 6_412, OutputTokens: 118,
			Content: "The photo looks west over the river at sunset, so you are on the hill above **Alfama**.\n\n" +
				"The guide's *Walk 2* (page 4) starts at the Miradouro de Santa Luzia, about five minutes downhill from there: " +
				"it ends at the castle, which is best before the crowds arrive, around 9 am."},
	}
	return d
}

// stageVision opens the settings on the first provider, sets two of its
// models as to images, and scrolls to where that is said.
func (w *window) stageVision() {
	w.showSettings()
	w.b.After(500*time.Millisecond, func() {
		f := w.overlays.settings.Form
		if f == nil {
			return
		}
		f.Vision.Model.SetText("llava")
		f.Vision.Choice.SetSelected("Takes images")
		f.Vision.Model.SetText("gpt-4o-mini")
		f.Vision.Choice.SetSelected("Text only")
		f.Scroll.Refresh()
		f.Scroll.ScrollToBottom()
	})
}

// scenePhoto is a made-up sunset over water, as a JPEG attachment.
func scenePhoto(width, height int) store.Attachment {
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	horizon := float64(height) * 0.58
	sunX, sunY := float64(width)*0.62, horizon-float64(height)*0.1
	for y := 0; y < height; y++ {
		for x := 0; x < width; x++ {
			fx, fy := float64(x), float64(y)
			var c color.RGBA
			ridge := horizon - 90 - 60*math.Sin(fx/170) - 35*math.Sin(fx/53+1) - 20*math.Sin(fx/23)
			switch {
			case fy < ridge && fy < horizon:
				t := fy / horizon
				c = color.RGBA{uint8(40 + 210*t), uint8(60 + 110*t), uint8(140 - 40*t), 255}
				if dist := math.Hypot(fx-sunX, fy-sunY); dist < 70 {
					c = color.RGBA{255, 236, 170, 255}
				} else if dist < 220 {
					g := (220 - dist) / 220
					c.R = uint8(math.Min(255, float64(c.R)+80*g))
					c.G = uint8(math.Min(255, float64(c.G)+60*g))
				}
			case fy < horizon:
				shade := 30 + 25*math.Sin(fx/9)*math.Sin(fy/7)
				c = color.RGBA{uint8(70 + shade), uint8(55 + shade/2), uint8(70), 255}
			default:
				t := (fy - horizon) / (float64(height) - horizon)
				wave := 12 * math.Sin(fy/3+fx/40)
				c = color.RGBA{uint8(150 - 110*t + wave), uint8(110 - 60*t + wave), uint8(110 + 10*t), 255}
				if math.Abs(fx-sunX) < 60-40*t+wave {
					c = color.RGBA{250, 210, 140, 255}
				}
			}
			img.SetRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	_ = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85})
	a, err := attach.Read("hotel-view.jpg", buf.Bytes())
	if err != nil {
		panic(err) // the scene's own image
	}
	return a
}

// sceneScreenshot is a made-up screenshot of a terminal, as a PNG.
func sceneScreenshot() store.Attachment {
	img := image.NewRGBA(image.Rect(0, 0, 1280, 720))
	for y := 0; y < 720; y++ {
		for x := 0; x < 1280; x++ {
			c := color.RGBA{30, 32, 40, 255}
			if y < 36 {
				c = color.RGBA{60, 62, 72, 255}
			} else if line := (y - 50) / 28; line >= 0 && line < 20 && (y-50)%28 < 14 && x > 24 && x < 24+int(300+200*math.Sin(float64(line)*1.7)+400) {
				c = color.RGBA{180, 200, 190, 255}
				if line == 12 {
					c = color.RGBA{240, 110, 100, 255}
				}
			}
			img.SetRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	a, err := attach.Read("build-error.png", buf.Bytes())
	if err != nil {
		panic(err)
	}
	return a
}

// sceneCode is a small Go file.
func sceneCode() store.Attachment {
	a, err := attach.Read("main.go", []byte("package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"hello\")\n}\n"))
	if err != nil {
		panic(err)
	}
	return a
}
