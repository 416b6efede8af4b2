package transfer

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/deskchat/deskchat/store"
)

// MaxZipEntry is the largest conversations.json ImportFile unpacks from a
// zip archive: 4 GB, far above any real export, far below a zip bomb's
// unpacked size. The entry is read straight from the archive, twice (a
// check, then the import), and never unpacked to disk.
const MaxZipEntry int64 = 4 << 30

// zipMagic begins a zip archive (a local file header).
const zipMagic = "PK\x03\x04"

// isZip reports whether f starts like a zip archive.
func isZip(f *os.File) bool { return isZipAt(f, 0) }

func isZipAt(r io.ReaderAt, off int64) bool {
	var b [4]byte
	n, _ := r.ReadAt(b[:], off)
	return n == 4 && string(b[:]) == zipMagic
}

// ImportZip imports the conversations.json inside the zip archive at path
// (the one nearest the archive's top if there are several), as Import does.
// An archive that is damaged, holds no conversations.json, or holds one
// larger than MaxZipEntry unpacked imports nothing, and the error's
// sentence says why. The images a ChatGPT export's conversations show are
// read from the archive's file-… entries (see gptassets.go). ImportFile
// calls it for any file that is a zip.
func ImportZip(ctx context.Context, st *store.Store, path string, opts ImportOptions) (Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return Report{Format: opts.From}, openError(path, err)
	}
	defer f.Close()
	return importZip(ctx, st, f, path, opts)
}

func importZip(ctx context.Context, st *store.Store, f *os.File, name string, opts ImportOptions) (Report, error) {
	fail := func(msg string, err error) (Report, error) {
		return Report{Format: opts.From}, &store.Error{Op: "import", Msg: msg, Err: err}
	}
	base := path.Base(strings.ReplaceAll(name, "\\", "/"))
	damaged := func(err error) (Report, error) {
		return fail(fmt.Sprintf("%s is not a zip archive deskchat can read (it may be damaged); nothing was imported.", base), fmt.Errorf("%w: %w", ErrDamaged, err))
	}
	fi, err := f.Stat()
	if err != nil {
		return fail(fmt.Sprintf("Cannot read %s: %s.", name, reason(err)), err)
	}
	zr, err := zip.NewReader(f, fi.Size())
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return damaged(err)
	}
	entry := conversationsEntry(zr)
	switch {
	case entry == nil:
		return fail(fmt.Sprintf("%s holds no conversations.json; nothing was imported.", base), ErrNotExport)
	case entry.UncompressedSize64 > uint64(MaxZipEntry):
		return fail(fmt.Sprintf("%s in %s would unpack to %s, more than deskchat reads from an archive (%s); nothing was imported. If the archive is genuine, unpack it and import the file itself.",
			entry.Name, base, gigabytes(int64(min(entry.UncompressedSize64, 1<<62))), gigabytes(MaxZipEntry)), ErrTooLarge)
	}
	size := int64(entry.UncompressedSize64)
	in := input{
		size:   size,
		assets: lazyAssets(func() *gptAssets { return zipAssets(zr) }),
		open: func() (io.ReadCloser, error) {
			rc, err := entry.Open()
			if err != nil {
				return nil, err
			}
			// archive/zip already stops at the size the archive declares;
			// the cap is kept here too, in case it ever does not.
			return struct {
				io.Reader
				io.Closer
			}{&capReader{r: rc, left: size}, rc}, nil
		},
		unreadable: func(err error) string {
			return fmt.Sprintf("%s in %s cannot be unpacked (the archive is damaged: %s); nothing was imported.", entry.Name, base, zipReason(err))
		},
	}
	return importInput(ctx, st, in, opts)
}

// ErrTooLarge: the file (a zip archive's entry) is larger than deskchat reads.
var ErrTooLarge = errors.New("too large")

// conversationsEntry is the archive's conversations.json nearest its top.
func conversationsEntry(zr *zip.Reader) *zip.File {
	var found []*zip.File
	for _, f := range zr.File {
		if strings.EqualFold(path.Base(strings.ReplaceAll(f.Name, "\\", "/")), "conversations.json") && !f.FileInfo().IsDir() {
			found = append(found, f)
		}
	}
	if len(found) == 0 {
		return nil
	}
	sort.SliceStable(found, func(i, j int) bool { return len(found[i].Name) < len(found[j].Name) })
	return found[0]
}

// capReader fails once more than left bytes are read.
type capReader struct {
	r    io.Reader
	left int64
}

func (c *capReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.left -= int64(n); c.left < 0 {
		return 0, fmt.Errorf("%w: the entry holds more than its stated size", zip.ErrFormat)
	}
	return n, err
}

// zipReason says what is wrong with an archive's entry.
func zipReason(err error) string {
	switch {
	case errors.Is(err, zip.ErrChecksum):
		return "its checksum does not match"
	case errors.Is(err, zip.ErrFormat), errors.Is(err, io.ErrUnexpectedEOF):
		return "it is cut short or malformed"
	}
	return "its compressed data is corrupt"
}

// gigabytes is a size for a sentence: "4 GB", "512 MB".
func gigabytes(n int64) string {
	if n >= 1<<30 {
		return fmt.Sprintf("%d GB", n>>30)
	}
	return fmt.Sprintf("%d MB", max(n>>20, 1))
}
