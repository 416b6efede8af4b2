package transfer

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/deskchat/deskchat/store"
)

// attachDir is the attachments/ folder a Markdown export written to a file
// puts its attachments in, beside the file. Names come from the history
// (anything a file was called), so each is made safe: the last element of
// its path only, no control or reserved characters, no leading dot, not a
// Windows device name, at most maxSafeName bytes. Every file is written
// through an os.Root of the folder, which cannot reach outside it whatever
// the name. A file is written once per export however many messages use it;
// a name already in the folder is reused when the file there has the same
// bytes (exporting twice writes nothing new) and otherwise never
// overwritten: the new file gets "name (2).ext". The folder is created on
// the first attachment only, and when the export fails, what it wrote is
// removed again.
type attachDir struct {
	parent  string // the folder the export is written in
	root    *os.Root
	created bool              // the attachments folder is this export's
	written []string          // files this export created, to remove on failure
	bySHA   map[string]string // sha256 → the name written for it
	taken   map[string]bool   // lower-case names used by this export
	err     error             // the first failure; stops the export
}

// attachDirName is the folder's name, beside the export.
const attachDirName = "attachments"

// maxSafeName bounds a written attachment's name, in bytes.
const maxSafeName = 120

func newAttachDir(parent string) *attachDir {
	return &attachDir{parent: parent, bySHA: map[string]string{}, taken: map[string]bool{}}
}

// link is the Markdown link destination of a written file name.
func (d *attachDir) link(name string) string {
	esc := strings.NewReplacer("(", "%28", ")", "%29").Replace(url.PathEscape(name))
	return attachDirName + "/" + esc
}

func (d *attachDir) fail(what string, err error) {
	if d.err == nil {
		d.err = attachError{what: fmt.Sprintf("%s: %s", what, reason(err)), err: err}
	}
}

// attachError is a failure to write the attachments folder; what is the
// start of the sentence for the user (ExportFile says what was left).
type attachError struct {
	what string
	err  error
}

func (e attachError) Error() string { return "write attachments: " + e.err.Error() }
func (e attachError) Unwrap() error { return e.err }

func (d *attachDir) open() bool {
	if d.root != nil {
		return true
	}
	dir := filepath.Join(d.parent, attachDirName)
	err := os.Mkdir(dir, 0o700)
	switch {
	case err == nil:
		d.created = true
	case errors.Is(err, fs.ErrExist):
	default:
		d.fail("Cannot make the folder "+dir+" for the attachments", err)
		return false
	}
	if d.root, err = os.OpenRoot(dir); err != nil {
		d.fail("Cannot open the folder "+dir+" for the attachments", err)
		return false
	}
	return true
}

// put writes a file with the bytes data for a, unless this export wrote it
// already, and returns its name in the folder; ok is false after a failure.
func (d *attachDir) put(a store.Attachment, data []byte) (name string, ok bool) {
	if name, ok := d.bySHA[a.SHA256]; ok {
		return name, true
	}
	if d.err != nil || !d.open() {
		return "", false
	}
	base := safeName(a.Name, a.Mime)
	ext := path.Ext(base)
	stem := strings.TrimSuffix(base, ext)
	for n := 1; n <= 10_000; n++ {
		name = base
		if n > 1 {
			name = fmt.Sprintf("%s (%d)%s", stem, n, ext)
		}
		if d.taken[strings.ToLower(name)] {
			continue
		}
		switch same, err := d.holds(name, a.SHA256); {
		case err == nil && same:
		case err == nil:
			continue // another file of that name: left alone
		case !errors.Is(err, fs.ErrNotExist):
			d.fail("Cannot read the folder "+filepath.Join(d.parent, attachDirName), err)
			return "", false
		default:
			if !d.write(name, data) {
				return "", false
			}
		}
		d.taken[strings.ToLower(name)] = true
		d.bySHA[a.SHA256] = name
		return name, true
	}
	d.fail("Cannot find a free name for "+base+" in "+filepath.Join(d.parent, attachDirName), fs.ErrExist)
	return "", false
}

// holds reports whether the folder's file name has the bytes whose sha256
// is sha; an error wrapping fs.ErrNotExist when there is no such file.
func (d *attachDir) holds(name, sha string) (bool, error) {
	fi, err := d.root.Lstat(name)
	if err != nil {
		return false, err
	}
	if !fi.Mode().IsRegular() {
		return false, nil
	}
	f, err := d.root.Open(name)
	if err != nil {
		return false, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return false, err
	}
	return hex.EncodeToString(h.Sum(nil)) == sha, nil
}

func (d *attachDir) write(name string, data []byte) bool {
	f, err := d.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		d.fail("Cannot write "+filepath.Join(d.parent, attachDirName, name), err)
		return false
	}
	d.written = append(d.written, name)
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		d.fail("Cannot write "+filepath.Join(d.parent, attachDirName, name), err)
		return false
	}
	return true
}

// finish closes the folder; when the export failed (keep false), it first
// removes the files this export wrote, and the folder if it made it.
func (d *attachDir) finish(keep bool) {
	if d.root == nil {
		return
	}
	if !keep {
		for _, name := range d.written {
			d.root.Remove(name)
		}
	}
	d.root.Close()
	if !keep && d.created {
		os.Remove(filepath.Join(d.parent, attachDirName)) // only if empty
	} else if keep {
		syncDir(filepath.Join(d.parent, attachDirName))
	}
}

// safeName makes an attachment's name fit to be a file's name on any
// system (see attachDir).
func safeName(name, mime string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = name[strings.LastIndexByte(name, '/')+1:]
	name = strings.Map(func(r rune) rune {
		switch {
		case r < 0x20 || r == 0x7f || r == utf8.RuneError:
			return '_'
		case strings.ContainsRune(`<>:"|?*`, r):
			return '_'
		}
		return r
	}, name)
	name = strings.Trim(name, ". ")
	ext := path.Ext(name)
	if len(ext) > 16 || strings.ContainsRune(ext, ' ') {
		ext = ""
	}
	stem := strings.TrimSuffix(name, ext)
	if stem == "" {
		stem = "attachment"
	}
	if ext == "" {
		ext = extensionOf(mime)
	}
	if reservedName(stem) {
		stem = "_" + stem
	}
	for len(stem)+len(ext) > maxSafeName {
		_, size := utf8.DecodeLastRuneInString(stem)
		stem = stem[:len(stem)-size]
	}
	return strings.TrimRight(stem, ". ") + ext
}

// reservedName reports whether stem names a device on Windows (CON, NUL,
// COM1, …), which no file may be called whatever its extension.
func reservedName(stem string) bool {
	s := strings.ToUpper(strings.TrimRight(stem, ". "))
	if i := strings.IndexByte(s, '.'); i >= 0 {
		s = s[:i]
	}
	switch s {
	case "CON", "PRN", "AUX", "NUL":
		return true
	}
	return len(s) == 4 && (strings.HasPrefix(s, "COM") || strings.HasPrefix(s, "LPT")) && s[3] >= '0' && s[3] <= '9'
}

// extensionOf is the usual extension of a mime type, for a name that has
// none.
func extensionOf(mime string) string {
	mime, _, _ = strings.Cut(mime, ";")
	switch strings.TrimSpace(strings.ToLower(mime)) {
	case "image/png":
		return ".png"
	case "image/jpeg":
		return ".jpg"
	case "image/gif":
		return ".gif"
	case "image/webp":
		return ".webp"
	case "application/pdf":
		return ".pdf"
	case "text/markdown":
		return ".md"
	}
	if strings.HasPrefix(mime, "text/") {
		return ".txt"
	}
	return ""
}
