package transfer_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/store/transfer"
)

// piece is content repeated n times in a zip entry.
type piece struct {
	data []byte
	n    int
}

// writeZip writes a zip archive at path holding name, made of pieces, each
// piece deflated once and its compressed blocks repeated: a gigabyte of
// spaces costs about a megabyte of archive and no gigabyte of work. declared,
// when not 0, is the unpacked size the archive claims instead of the true one.
func writeZip(t testing.TB, path, name string, pieces []piece, declared uint64) {
	t.Helper()
	deflated := make([][]byte, len(pieces))
	crc, size, packed := crc32.NewIEEE(), uint64(0), uint64(0)
	for i, p := range pieces {
		var one bytes.Buffer
		fw, _ := flate.NewWriter(&one, flate.BestSpeed)
		fw.Write(p.data)
		fw.Flush() // ends byte-aligned, not final: copies follow each other
		deflated[i] = one.Bytes()
		size += uint64(len(p.data) * p.n)
		packed += uint64(one.Len() * p.n)
		if size <= 1<<30 { // beyond, the archive is refused before its checksum matters
			for range p.n {
				crc.Write(p.data)
			}
		}
	}
	var final bytes.Buffer
	fw, _ := flate.NewWriter(&final, flate.BestSpeed)
	fw.Close() // the final, empty block
	if declared == 0 {
		declared = size
	}
	writeFile(t, path, func(w io.Writer) error {
		zw := zip.NewWriter(w)
		e, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Deflate, CRC32: crc.Sum32(),
			CompressedSize64: packed + uint64(final.Len()), UncompressedSize64: declared, Modified: time.Unix(1.7e9, 0)})
		for i, p := range pieces {
			for j := 0; j < p.n && err == nil; j++ {
				_, err = e.Write(deflated[i])
			}
		}
		if err == nil {
			_, err = e.Write(final.Bytes())
		}
		if err == nil {
			err = zw.Close()
		}
		return err
	})
}

// spaces is n megabytes of whitespace.
func spaces(mb int) piece { return piece{bytes.Repeat([]byte("       \n"), 128<<10), mb} }

// TestImportZipFromTheCommandLine imports ChatGPT's archive with
// "deskchat import FILE.zip": the conversations.json inside is read from
// the archive; importing it again adds nothing.
func TestImportZipFromTheCommandLine(t *testing.T) {
	dir := t.TempDir()
	var conv bytes.Buffer
	if err := transfer.WriteChatGPT(&conv, 3, 4, 100); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(dir, "chatgpt-export.zip")
	writeZip(t, archive, "export/conversations.json", []piece{{conv.Bytes(), 1}}, 0)
	data := filepath.Join(dir, "data")
	r := runChild(t, "--data-dir", data, "import", archive)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "Imported 3 conversations (15 messages).") {
		t.Fatalf("exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	r = runChild(t, "--data-dir", data, "import", archive)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "Imported 0 conversations (0 messages); 3 already imported.") {
		t.Fatalf("again: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
}

// TestImportZipBombs: an archive whose conversations.json unpacks beyond
// the cap is refused at once from its directory, writing nothing; one that
// holds more than it says stops at what it says; a large but allowed
// entry is read from the archive in small memory, never unpacked to disk;
// a damaged archive gets its sentence.
func TestImportZipBombs(t *testing.T) {
	dir := t.TempDir()
	tmp := filepath.Join(dir, "tmp") // the child's temporary folder: stays empty
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	streamMB := 64
	if transfer.RaceEnabled {
		streamMB = 16
	}
	cut := filepath.Join(dir, "cut.zip")
	writeZip(t, cut, "conversations.json", []piece{{[]byte("["), 1}, spaces(1), {[]byte("]"), 1}}, 0)
	if b, err := os.ReadFile(cut); err != nil || os.WriteFile(cut, b[:len(b)/2], 0o600) != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, want string
		pieces     []piece
		declared   uint64
		code       int
		maxMB      float64
	}{
		{"beyond the cap", "conversations.json in beyond the cap.zip would unpack to 5 GB, more than deskchat reads from an archive (4 GB); nothing was imported.",
			[]piece{{[]byte("["), 1}, spaces(5 << 10), {[]byte("]"), 1}}, 0, 1, 64},
		{"more than it says", "conversations.json in more than it says.zip cannot be unpacked (the archive is damaged: it is cut short or malformed); nothing was imported.",
			[]piece{{[]byte("["), 1}, spaces(1 << 10), {[]byte("]"), 1}}, 1 << 20, 1, 64},
		{"large but allowed", "Nothing to import: the file holds no conversations.",
			[]piece{{[]byte("["), 1}, spaces(streamMB), {[]byte("]"), 1}}, 0, 0, 64},
		{"damaged", "cut.zip is not a zip archive deskchat can read (it may be damaged); nothing was imported.", nil, 0, 1, 64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			archive := cut
			if tc.pieces != nil {
				archive = filepath.Join(dir, tc.name+".zip")
				writeZip(t, archive, "conversations.json", tc.pieces, tc.declared)
			}
			fi, _ := os.Stat(archive)
			start := time.Now()
			r := runChildEnv(t, []string{"TMPDIR=" + tmp}, "--data-dir", data, "import", archive)
			took := time.Since(start)
			out := r.stdout + r.stderr
			if r.code != tc.code || !strings.Contains(out, tc.want) {
				t.Fatalf("exit %d, %q; want exit %d and %q", r.code, out, tc.code, tc.want)
			}
			t.Logf("%d KB archive: %s, peak %.1f MB", fi.Size()>>10, took.Round(time.Millisecond), r.peakMB)
			if bound := tc.maxMB * memoryScale(); r.peakMB > bound {
				t.Errorf("peak %.1f MB (bound %.0f MB)", r.peakMB, bound)
			}
			if left, _ := os.ReadDir(tmp); len(left) != 0 {
				t.Errorf("%d files left in the temporary folder, e.g. %s", len(left), left[0].Name())
			}
			if h := readHistory(t, data); h.convs != 0 {
				t.Errorf("%d conversations stored", h.convs)
			}
		})
	}
}

// TestImportZipFromAPipe: an archive piped in (deskchat import - < x.zip)
// cannot be read in place; the sentence says to give its path.
func TestImportZipFromAPipe(t *testing.T) {
	dir := t.TempDir()
	archive := filepath.Join(dir, "export.zip")
	writeZip(t, archive, "conversations.json", []piece{{[]byte("[]"), 1}}, 0)
	b, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, err = transfer.Import(context.Background(), st, struct{ io.Reader }{bytes.NewReader(b)}, transfer.ImportOptions{})
	if want := "This is a zip archive: give its path (deskchat import FILE.zip) rather than its content."; store.UserMessage(err) != want {
		t.Fatalf("got %q (%v), want %q", store.UserMessage(err), err, want)
	}
}
