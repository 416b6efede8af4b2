package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"unicode/utf8"

	"golang.org/x/term"
)

// maxStdin bounds the text "deskchat ask" reads from stdin. 8 MB of text is
// about 2 million tokens, the largest context window any model offers
// (most take 128k-1M): more could never be sent whole, and reading it all
// would only hold memory and store a message no provider accepts.
const maxStdin = 8 << 20

// piped reports whether r is stdin worth reading beside a prompt: not a
// terminal (a person would have to type and press Ctrl-D) and not another
// character device (/dev/null holds nothing); a pipe or a file is read.
// A reader that is no file (tests, an embedding program) is read; the
// command line's stdin, read by the window, is what it says.
func piped(r io.Reader) bool {
	if cs, ok := r.(clientStdin); ok {
		return cs.IsPiped()
	}
	f, ok := r.(*os.File)
	if !ok {
		return true
	}
	if term.IsTerminal(int(f.Fd())) {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice == 0
}

// readStdin returns the text on r, up to maxStdin. More, or what is not
// UTF-8 text, is a usage error: nothing is sent and nothing stored.
func readStdin(r io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxStdin+1))
	if err != nil {
		return "", fmt.Errorf("The text on stdin could not be read: %s.", osReason(err))
	}
	if len(b) > maxStdin {
		return "", cmdLinef("the text on stdin is over %d MB, the most deskchat sends with a question (about the largest context window of any model); nothing was sent.", maxStdin>>20)
	}
	if !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0 {
		return "", cmdLinef("the text on stdin is not UTF-8 text (a binary file?); nothing was sent.")
	}
	return string(b), nil
}
