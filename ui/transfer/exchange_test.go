package transfer

import (
	"archive/zip"
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/internal/format"
	"github.com/deskchat/deskchat/store"
	storetransfer "github.com/deskchat/deskchat/store/transfer"
)

// chatgptFixture is a real ChatGPT conversations.json (LibreChat's
// chatgpt-tree.json; store/transfer/testdata/SOURCES.md).
const chatgptFixture = "../../store/transfer/testdata/chatgpt-tree.json"

// exchangeChats are three small chats: Alpha (updated last, so shown
// first), Beta and Gamma, each with words of its own.
func exchangeChats() []store.Import {
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	chat := func(id, title string, at time.Time, n int) store.Import {
		im := store.Import{Dump: store.Dump{Conversation: store.Conversation{ID: id, Title: title, Provider: "local", Model: "llama3", CreatedAt: at, UpdatedAt: at}}}
		for i := 1; i <= n; i++ {
			role := store.RoleUser
			if i%2 == 0 {
				role = store.RoleAssistant
			}
			word := strings.ToLower(strings.Fields(title)[0])
			im.Messages = append(im.Messages, store.Message{Seq: uint64(i), Role: role, Content: fmt.Sprintf("%s-message-%d", word, i), State: store.StateDone, CreatedAt: at, UpdatedAt: at})
		}
		return im
	}
	return []store.Import{
		chat("aaaaaaaaaaaa", "Alpha rollout plan", t0.Add(2*time.Hour), 3),
		chat("bbbbbbbbbbbb", "Beta notes", t0.Add(time.Hour), 2),
		chat("cccccccccccc", "Gamma ideas", t0, 2),
	}
}

func seedChats(ims []store.Import) func(*store.Store) {
	return func(st *store.Store) {
		if _, err := st.ImportConversations(ims); err != nil {
			panic(err)
		}
	}
}

// runExport taps Export and runs posted work until the export has ended.
func (h *fakeHost) runExport(d *Export) {
	h.t.Helper()
	h.tapDialogButton("Export")
	h.settleUntil("the export to end", func() bool { return d.prog != nil && d.cancel == nil })
	h.settle()
}

// runImport taps Import and runs posted work until the import has ended.
func (h *fakeHost) runImport(d *Import) {
	h.t.Helper()
	h.tapDialogButton("Import")
	h.settleUntil("the import to end", func() bool { return d.prog != nil && d.cancel == nil })
	h.settle()
}

func readExported(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// folderNames lists dir: what an export left there, temporary files included.
func folderNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func storedChats(t *testing.T, st *store.Store) []string {
	t.Helper()
	cs, err := st.Conversations()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.ID+" "+c.Title+" "+c.UpdatedAt.String())
	}
	return ids
}

func absFixture(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// holdGate holds a worker until the test lets it go; it lets go at cleanup in
// any case, so a failing test leaves no goroutine stuck.
type holdGate struct {
	once    sync.Once
	release chan struct{}
}

func newHoldGate(t *testing.T) *holdGate {
	g := &holdGate{release: make(chan struct{})}
	t.Cleanup(g.open)
	return g
}

func (g *holdGate) open() { g.once.Do(func() { close(g.release) }) }
func (g *holdGate) wait() { <-g.release }

func TestExportAllChatsAsJSONRoundTrips(t *testing.T) {
	ims := exchangeChats()
	h := newFakeHost(t, seedChats(ims))
	dir := t.TempDir()
	dest := filepath.Join(dir, "all.json")

	d := OpenExport(h)
	if !strings.HasSuffix(d.path.Text, ".json") || !strings.Contains(d.path.Text, "deskchat-") {
		t.Errorf("default destination %q", d.path.Text)
	}
	d.which.SetSelected(exportAll)
	d.path.SetText(dest)
	var opened *url.URL
	d.openURL = func(u *url.URL) error { opened = u; return nil }
	h.runExport(d)

	text := everyText(h.topDialog())
	if !strings.Contains(text, "Export complete") || !strings.Contains(text, "Exported 3 chats, 7 messages (") || !strings.Contains(text, dest) {
		t.Fatalf("summary:\n%s", text)
	}
	h.tapDialogButton("Open folder")
	if want := storage.NewFileURI(dir).String(); opened == nil || opened.String() != want {
		t.Errorf("Open folder opened %v, want %s", opened, want)
	}
	if names := folderNames(t, dir); !reflect.DeepEqual(names, []string{"all.json"}) {
		t.Errorf("the folder holds %q, want only all.json", names)
	}

	// The file imports into a fresh store as the same conversations.
	st2, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	rep, err := storetransfer.ImportFile(context.Background(), st2, dest, storetransfer.ImportOptions{})
	if err != nil || rep.Format != storetransfer.Deskchat || rep.Conversations != 3 || rep.Messages != 7 {
		t.Fatalf("re-import: %+v, %v", rep, err)
	}
	for _, im := range ims {
		want, err := h.st.Dump(im.Conversation.ID)
		if err != nil {
			t.Fatal(err)
		}
		got, err := st2.Dump(im.Conversation.ID)
		if err != nil {
			t.Fatalf("%s missing after the round trip: %v", im.Conversation.Title, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s differs after the round trip:\n got %+v\nwant %+v", im.Conversation.Title, got, want)
		}
	}
}

func TestExportThisChatAsMarkdownHoldsOnlyIt(t *testing.T) {
	h := newFakeHost(t, seedChats(exchangeChats()))
	if h.selected != "aaaaaaaaaaaa" {
		t.Fatalf("shown chat %q, want Alpha", h.selected)
	}
	d := OpenExport(h)
	if d.which.Selected != exportThis {
		t.Errorf("chats %q by default with a chat open, want %q", d.which.Selected, exportThis)
	}
	d.format.SetSelected("Markdown")
	if !strings.HasSuffix(d.path.Text, ".md") {
		t.Errorf("choosing Markdown left the destination %q", d.path.Text)
	}
	dest := filepath.Join(t.TempDir(), "this.md")
	d.path.SetText(dest)
	h.runExport(d)

	if text := everyText(h.topDialog()); !strings.Contains(text, "Exported 1 chat, 3 messages (") {
		t.Fatalf("summary:\n%s", text)
	}
	md := readExported(t, dest)
	for _, want := range []string{"Alpha rollout plan", "alpha-message-1", "alpha-message-3"} {
		if !strings.Contains(md, want) {
			t.Errorf("the Markdown lacks %q:\n%s", want, md)
		}
	}
	for _, other := range []string{"Beta", "beta-message", "Gamma", "gamma-message"} {
		if strings.Contains(md, other) {
			t.Errorf("the Markdown holds %q of another chat", other)
		}
	}
	if strings.HasPrefix(strings.TrimSpace(md), "{") {
		t.Error("the file is JSON, not Markdown")
	}
}

// Markdown shows the branch shown unless "Every branch" is ticked; JSON
// always holds every branch (the box is ticked and cannot be unticked).
func TestExportEveryBranchWhenAsked(t *testing.T) {
	chats := exchangeChats()
	alpha := &chats[0] // 1 question, 2 answer, 3 question: a second answer to 1 beside 2
	alpha.Messages[1].Parent, alpha.Messages[2].Parent = 1, 2
	alpha.Messages = append(alpha.Messages, store.Message{Seq: 4, Parent: 1, Role: store.RoleAssistant, Content: "alpha-other-answer",
		State: store.StateDone, CreatedAt: alpha.Conversation.CreatedAt, UpdatedAt: alpha.Conversation.CreatedAt})
	alpha.Conversation.Leaf = 3
	h := newFakeHost(t, seedChats(chats))
	export := func(every bool) string {
		d := OpenExport(h)
		if !d.branches.Checked || !d.branches.Disabled() {
			t.Fatalf("JSON: the box is ticked %v, disabled %v; want both", d.branches.Checked, d.branches.Disabled())
		}
		d.format.SetSelected("Markdown")
		if d.branches.Checked || d.branches.Disabled() {
			t.Fatalf("Markdown: the box is ticked %v, disabled %v; want neither", d.branches.Checked, d.branches.Disabled())
		}
		d.branches.SetChecked(every)
		dest := filepath.Join(t.TempDir(), "tree.md")
		d.path.SetText(dest)
		h.runExport(d)
		d.dialog.Hide()
		return readExported(t, dest)
	}
	if md := export(false); strings.Contains(md, "alpha-other-answer") || !strings.Contains(md, "alpha-message-3") {
		t.Errorf("the branch shown alone:\n%s", md)
	}
	if md := export(true); !strings.Contains(md, "alpha-other-answer") || !strings.Contains(md, "Branch from") {
		t.Errorf("every branch:\n%s", md)
	}
}

func TestExportChosenChats(t *testing.T) {
	h := newFakeHost(t, seedChats(exchangeChats()))
	dir := t.TempDir()
	d := OpenExport(h)
	d.which.SetSelected(exportChosen)
	d.format.SetSelected("HTML")
	dest := filepath.Join(dir, "chosen.html")
	d.path.SetText(dest)

	// Nothing chosen yet: nothing runs, a sentence says why.
	h.tapDialogButton("Export")
	h.settle()
	if text := everyText(h.topDialog()); !strings.Contains(text, "Choose at least one chat to export.") {
		t.Fatalf("exporting no chat:\n%s", text)
	}
	if d.prog != nil || len(folderNames(t, dir)) != 0 {
		t.Fatal("an export ran with no chat chosen")
	}

	// The checklist shows every chat with its date; Select all, then untick Alpha.
	if !d.picker.Visible() {
		t.Fatal("the checklist is hidden")
	}
	checks := func() map[string]*widget.Check {
		m := map[string]*widget.Check{}
		for _, o := range h.topDialog() {
			if c, ok := o.(*widget.Check); ok && c != d.branches {
				m[strings.Fields(c.Text)[0]] = c
			}
		}
		return m
	}
	if cs := checks(); len(cs) != 3 || !strings.Contains(cs["Alpha"].Text, "20 Nov 2026") {
		t.Fatalf("checklist %v", cs)
	}
	h.tapDialogButton("Select all")
	if cs := checks(); d.count.Text != "3 of 3 chats chosen" || !cs["Alpha"].Checked || !cs["Beta"].Checked || !cs["Gamma"].Checked {
		t.Fatalf("after Select all: %q, checked %v %v %v", d.count.Text, cs["Alpha"].Checked, cs["Beta"].Checked, cs["Gamma"].Checked)
	}
	test.Tap(checks()["Alpha"])
	if d.count.Text != "2 of 3 chats chosen" {
		t.Fatalf("after unticking Alpha: %q", d.count.Text)
	}
	h.runExport(d)

	if text := everyText(h.topDialog()); !strings.Contains(text, "Exported 2 chats, 4 messages (") {
		t.Fatalf("summary:\n%s", text)
	}
	page := readExported(t, dest)
	if !strings.Contains(page, "<html") || !strings.Contains(page, "beta-message-2") || !strings.Contains(page, "gamma-message-1") {
		t.Errorf("the page lacks the chosen chats")
	}
	if strings.Contains(page, "alpha-message") {
		t.Error("the page holds Alpha, which was not chosen")
	}
}

func TestExportToAnUnwritableDestinationSaysWhyAndLeavesNoFile(t *testing.T) {
	h := newFakeHost(t, seedChats(exchangeChats()))
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "plain-file"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	readOnly := filepath.Join(dir, "read-only")
	if err := os.Mkdir(readOnly, 0o500); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, dest, want string
		skip             bool
	}{
		{"missing folder", filepath.Join(dir, "missing", "x.json"), "does not exist; nothing was exported.", false},
		{"parent is a file", filepath.Join(dir, "plain-file", "x.json"), "is not a folder; nothing was exported.", false},
		{"a folder", readOnly, "is a folder; give the export a file name.", false},
		{"read-only folder", filepath.Join(readOnly, "x.json"), "permission denied; nothing was exported.", os.Geteuid() == 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.skip {
				t.Skip("root writes into read-only folders")
			}
			d := OpenExport(h)
			d.which.SetSelected(exportAll)
			d.path.SetText(c.dest)
			h.runExport(d)
			text := everyText(h.topDialog())
			if !strings.Contains(text, c.want) {
				t.Fatalf("want %q in the dialog:\n%s", c.want, text)
			}
			if findButton(h.topDialog(), "Export") == nil {
				t.Error("the dialog did not go back to the form, where the destination can be changed")
			}
			if _, err := os.Stat(c.dest); err == nil && c.dest != readOnly {
				t.Errorf("%s exists after a failed export", c.dest)
			}
			d.dialog.Hide()
		})
	}
	if names := folderNames(t, dir); !reflect.DeepEqual(names, []string{"plain-file", "read-only"}) {
		t.Errorf("the folder holds %q after the failed exports", names)
	}
	if names := folderNames(t, readOnly); len(names) != 0 {
		t.Errorf("the read-only folder holds %q", names)
	}
}

// holdExport makes d's export wait after its first chat until the gate
// opens.
func holdExport(t *testing.T, d *Export) *holdGate {
	g := newHoldGate(t)
	d.OnProgress = func(done, total int) {
		if done == 1 {
			g.wait()
		}
	}
	return g
}

func TestCancelAnExportMidway(t *testing.T) {
	t.Run("new file", func(t *testing.T) {
		h := newFakeHost(t, seedChats(exchangeChats()))
		dir := t.TempDir()
		dest := filepath.Join(dir, "cancelled.json")
		d := OpenExport(h)
		d.which.SetSelected(exportAll)
		d.path.SetText(dest)
		g := holdExport(t, d)
		h.tapDialogButton("Export")
		h.settleUntil("1 of 3 chats exported", func() bool { return d.prog != nil && d.prog.bar.Value == 1 })
		if got := d.prog.bar.TextFormatter(); got != "1 of 3 chats" {
			t.Errorf("progress reads %q", got)
		}
		h.tapDialogButton("Cancel")
		if d.prog.status.Text != "Cancelling…" || !d.prog.cancelBtn.Disabled() {
			t.Errorf("after Cancel: %q, button disabled %v", d.prog.status.Text, d.prog.cancelBtn.Disabled())
		}
		g.open()
		h.settleUntil("the export to end", func() bool { return d.cancel == nil })
		h.settle()
		text := everyText(h.topDialog())
		if !strings.Contains(text, "Export cancelled") || !strings.Contains(text, "Stopped; nothing was exported.") {
			t.Fatalf("dialog:\n%s", text)
		}
		if names := folderNames(t, dir); len(names) != 0 {
			t.Errorf("the cancelled export left %q", names)
		}
	})
	t.Run("replacing a file", func(t *testing.T) {
		h := newFakeHost(t, seedChats(exchangeChats()))
		dir := t.TempDir()
		dest := filepath.Join(dir, "old.json")
		if err := os.WriteFile(dest, []byte("the older export"), 0o600); err != nil {
			t.Fatal(err)
		}
		d := OpenExport(h)
		d.which.SetSelected(exportAll)
		d.path.SetText(dest)
		g := holdExport(t, d)
		h.tapDialogButton("Export")
		h.settleUntil("the question whether to replace the file", func() bool {
			return strings.Contains(everyText(h.topDialog()), "already exists. Replace it")
		})
		h.tapDialogButton("Yes")
		h.settleUntil("1 of 3 chats exported", func() bool { return d.prog != nil && d.prog.bar.Value == 1 })
		h.tapDialogButton("Cancel")
		g.open()
		h.settleUntil("the export to end", func() bool { return d.cancel == nil })
		h.settle()
		if text := everyText(h.topDialog()); !strings.Contains(text, "Stopped; the file already there was left as it was.") {
			t.Fatalf("dialog:\n%s", text)
		}
		if got := readExported(t, dest); got != "the older export" {
			t.Errorf("the file at the destination now holds %q", got)
		}
		if names := folderNames(t, dir); !reflect.DeepEqual(names, []string{"old.json"}) {
			t.Errorf("the folder holds %q", names)
		}
	})
}

// expectedImport is what store/transfer itself makes of path, in a store
// of its own.
func expectedImport(t *testing.T, path string) storetransfer.Report {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rep, err := storetransfer.ImportFile(context.Background(), st, path, storetransfer.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func sidebarTitles(h *fakeHost) []string {
	var ts []string
	for _, c := range h.convs {
		ts = append(ts, c.Title)
	}
	return ts
}

func TestImportAChatGPTExportTwice(t *testing.T) {
	h := newFakeHost(t, seedChats(exchangeChats()))
	file := absFixture(t, chatgptFixture)
	want := expectedImport(t, file)
	if want.Conversations != 1 || want.Messages == 0 {
		t.Fatalf("fixture imports as %+v", want)
	}

	d := OpenImport(h)
	d.path.SetText(file)
	h.runImport(d)
	text := everyText(h.topDialog())
	for _, s := range []string{"Import complete", "Read as a ChatGPT export (detected automatically).", fmt.Sprintf("Imported 1 chat, %d messages.", want.Messages)} {
		if !strings.Contains(text, s) {
			t.Errorf("summary lacks %q:\n%s", s, text)
		}
	}
	titles := sidebarTitles(h)
	if len(titles) != 4 || !strings.Contains(strings.Join(titles, "|"), "Assist user with summary") {
		t.Fatalf("sidebar after the import: %q", titles)
	}
	h.tapDialogButton("Close")

	// Again: nothing new, and the summary says the chat is already here.
	d = OpenImport(h)
	d.path.SetText(file)
	d.from.SetSelected("ChatGPT")
	h.runImport(d)
	text = everyText(h.topDialog())
	for _, s := range []string{"Read as a ChatGPT export.", "No new chats were imported.", "1 chat was already here"} {
		if !strings.Contains(text, s) {
			t.Errorf("second summary lacks %q:\n%s", s, text)
		}
	}
	if len(h.convs) != 4 || len(storedChats(t, h.st)) != 4 {
		t.Errorf("%d chats in the sidebar after importing again, want 4", len(h.convs))
	}
}

func TestImportFromAZipAndListTheSkippedChats(t *testing.T) {
	h := newFakeHost(t, nil)
	src := absFixture(t, "../../store/transfer/testdata/claude-array.json")
	want := expectedImport(t, src)
	if want.SkippedCount != 1 {
		t.Fatalf("fixture imports as %+v", want)
	}
	archive := filepath.Join(t.TempDir(), "data-2026-11-27.zip")
	f, err := os.Create(archive)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for name, body := range map[string]string{"users.json": "[]", "export/conversations.json": readExported(t, src)} {
		fw, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()

	d := OpenImport(h)
	d.path.SetText(archive)
	h.runImport(d)
	text := everyText(h.topDialog())
	for _, s := range []string{"Read as a Claude export (detected automatically).", fmt.Sprintf("Imported %d chat", want.Conversations), "Skipped 1 chat:"} {
		if !strings.Contains(text, s) {
			t.Errorf("summary lacks %q:\n%s", s, text)
		}
	}
	sk := want.Skipped[0]
	if !strings.Contains(text, "“"+sk.Title+"” — "+sk.Reason) {
		t.Errorf("the skipped chat is not listed with its reason (%q — %q):\n%s", sk.Title, sk.Reason, text)
	}
	if len(h.convs) != want.Conversations {
		t.Errorf("%d chats in the sidebar, want %d", len(h.convs), want.Conversations)
	}
}

func TestImportADamagedFileChangesNothing(t *testing.T) {
	h := newFakeHost(t, seedChats(exchangeChats()))
	before := storedChats(t, h.st)
	whole := readExported(t, absFixture(t, chatgptFixture))
	dir := t.TempDir()
	cut := filepath.Join(dir, "cut.json")
	if err := os.WriteFile(cut, []byte(whole[:len(whole)*2/3]), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, path, want string }{
		{"truncated JSON", cut, "This file is damaged or incomplete ("},
		{"no such file", filepath.Join(dir, "nope.json"), "There is no file "},
		{"a zip that is not one", func() string {
			p := filepath.Join(dir, "fake.zip")
			os.WriteFile(p, []byte(whole), 0o600)
			return p
		}(), "fake.zip is not a zip archive deskchat can read"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := OpenImport(h)
			d.path.SetText(c.path)
			h.runImport(d)
			text := everyText(h.topDialog())
			if !strings.Contains(text, c.want) {
				t.Fatalf("want %q in the dialog:\n%s", c.want, text)
			}
			if findButton(h.topDialog(), "Import") == nil {
				t.Error("the dialog did not go back to the form, where another file can be chosen")
			}
			if after := storedChats(t, h.st); !reflect.DeepEqual(after, before) {
				t.Errorf("the store changed:\nbefore %q\nafter  %q", before, after)
			}
			d.dialog.Hide()
		})
	}
	if len(h.convs) != 3 {
		t.Errorf("%d chats in the sidebar, want 3", len(h.convs))
	}
}

func TestImportAnEmptyExport(t *testing.T) {
	h := newFakeHost(t, nil)
	empty := filepath.Join(t.TempDir(), "conversations.json")
	if err := os.WriteFile(empty, []byte("[]"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := OpenImport(h)
	d.path.SetText(empty)
	h.runImport(d)
	text := everyText(h.topDialog())
	if !strings.Contains(text, "The file holds no chats; nothing was imported.") || strings.Contains(text, "Read as") {
		t.Errorf("summary:\n%s", text)
	}

	// With no chats, an export has nothing to write and says so.
	e := OpenExport(h)
	if e.which.Selected != exportAll || !e.which.Disabled() {
		t.Errorf("with no chats: %q chosen, disabled %v", e.which.Selected, e.which.Disabled())
	}
	e.path.SetText(filepath.Join(t.TempDir(), "none.json"))
	h.tapDialogButton("Export")
	h.settle()
	if text := everyText(h.topDialog()); !strings.Contains(text, "There are no chats to export yet.") || e.prog != nil {
		t.Errorf("exporting no chats:\n%s", text)
	}
}

// bigExport writes a deskchat export of 30 chats of 100 messages each, more
// than one of store/transfer's import batches.
func bigExport(t *testing.T) string {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var ims []store.Import
	for i := range 30 {
		at := t0.Add(time.Duration(i) * time.Hour)
		im := store.Import{Dump: store.Dump{Conversation: store.Conversation{ID: fmt.Sprintf("chat%08d", i), Title: fmt.Sprintf("Chat %d", i), CreatedAt: at, UpdatedAt: at}}}
		for j := 1; j <= 100; j++ {
			im.Messages = append(im.Messages, store.Message{Seq: uint64(j), Role: store.RoleUser, Content: fmt.Sprintf("message %d of chat %d", j, i), State: store.StateDone, CreatedAt: at, UpdatedAt: at})
		}
		ims = append(ims, im)
	}
	if _, err := st.ImportConversations(ims); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "big.json")
	if _, err := storetransfer.ExportFile(context.Background(), st, path, storetransfer.ExportOptions{}); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCancelAnImportMidway(t *testing.T) {
	h := newFakeHost(t, nil)
	file := bigExport(t)
	d := OpenImport(h)
	d.path.SetText(file)

	// Hold the import once its first batch is stored.
	g := newHoldGate(t)
	var held sync.Once
	heldAt := make(chan int, 1)
	d.OnProgress = func(done, total int) {
		if done <= total/2 { // still checking the file
			return
		}
		cs, err := h.st.Conversations()
		if err != nil || len(cs) == 0 {
			return
		}
		held.Do(func() {
			heldAt <- len(cs)
			h.bq.Work <- func() {} // wake the test goroutine
			g.wait()
		})
	}
	h.tapDialogButton("Import")
	var n int
	h.settleUntil("the first batch to be stored", func() bool {
		select {
		case n = <-heldAt:
			return true
		default:
			return false
		}
	})
	if n >= 30 {
		t.Fatalf("all %d chats were stored in one batch: nothing left to cancel", n)
	}
	h.settleUntil("the progress to show the second pass", func() bool {
		return d.prog.status.Text == "Importing…" && d.prog.bar.Value > d.prog.bar.Max/2 && d.prog.bar.Value < d.prog.bar.Max
	})
	h.tapDialogButton("Cancel")
	g.open()
	h.settleUntil("the import to end", func() bool { return d.cancel == nil })
	h.settle()

	text := everyText(h.topDialog())
	for _, s := range []string{
		"Import cancelled",
		fmt.Sprintf("Stopped after importing %d conversations; import the file again to add the rest.", n),
		fmt.Sprintf("The %d chats imported before you cancelled are kept", n),
	} {
		if !strings.Contains(text, s) {
			t.Errorf("dialog lacks %q:\n%s", s, text)
		}
	}
	if got := len(storedChats(t, h.st)); got != n {
		t.Errorf("%d chats stored after the cancel, want the %d the dialog reports", got, n)
	}
	if len(h.convs) != n {
		t.Errorf("the sidebar shows %d chats, want %d", len(h.convs), n)
	}
	h.tapDialogButton("Close")

	// Importing again adds the rest.
	d = OpenImport(h)
	d.path.SetText(file)
	h.runImport(d)
	text = everyText(h.topDialog())
	if want := fmt.Sprintf("Imported %d chats, %s messages.", 30-n, format.Number(int64((30-n)*100))); !strings.Contains(text, want) || !strings.Contains(text, fmt.Sprintf("%d chats were already here", n)) {
		t.Errorf("second import, want %q:\n%s", want, text)
	}
	if len(h.convs) != 30 {
		t.Errorf("the sidebar shows %d chats after importing again, want 30", len(h.convs))
	}
}

func TestExportImportWordsForPeople(t *testing.T) {
	for n, want := range map[int]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 1234567: "1,234,567", -4321: "-4,321"} {
		if got := format.Number(int64(n)); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
	for n, want := range map[int64]string{1: "1 B", 512: "512 B", 14_200: "14.2 KB", 2_100_000: "2.1 MB", 3_000_000_000: "3.0 GB"} {
		if got := format.Size(n); got != want {
			t.Errorf("byteSize(%d) = %q, want %q", n, got, want)
		}
	}
	home := userHome()
	for typed, want := range map[string]string{"~/x.json": filepath.Join(home, "x.json"), "x.json": filepath.Join(home, "x.json"), "/tmp/../tmp/y.md": "/tmp/y.md"} {
		if got, why := exportDestination(typed); got != want || why != "" {
			t.Errorf("destination(%q) = %q, %q; want %q", typed, got, why, want)
		}
	}
	if _, why := exportDestination("  "); why == "" {
		t.Error("an empty destination was accepted")
	}
}
