// Package attachview shows the files that go with a question: the chips
// above the composer (Tray: thumbnail or icon, name, size, tokens, ×; a
// file still being read shows its progress; a refused one its sentence),
// the thumbnails and file chips in a sent question (Files.Strip: an image
// opens full size in its own window, a file opens with the system's app or
// is saved elsewhere), and the bounded cache of thumbnails they share
// (Thumbs, loaded off the UI goroutine). It also reads file paths out of
// pasted or dropped text (Paths). It reads nothing itself: bytes come from
// the attachment or the Blob function it is given, on the bridge.
package attachview
