// Package markdown shows an answer's markdown in Fyne, one widget per block,
// while it still streams in: only the last block is parsed again when text
// arrives (View, blocks.go). Code blocks are highlighted with chroma once
// they are finished (highlight.go); images are never fetched on their own
// (placeholders, a Loader for what the user asks for, images.go); and what a
// hostile answer can make the window build is bounded (limits.go: pages and
// "Show more"). TeX math in answers is drawn by mathtex, inline and as
// blocks, its source shown when it cannot be (math.go, found by
// mathscan.go). A view far from the screen keeps its width on a resize
// (lazy.go). Everything here belongs to the UI goroutine.
package markdown
