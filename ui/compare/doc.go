// Package compare is the side-by-side comparison: one prompt is sent to
// 2–4 providers or models at once (engine.Compare); the answers stream side
// by side in the chat, one column each with its own status line (engine
// state, tokens, cost) and time to first token; once all have ended the
// user keeps one as the chat's answer and keeps the others as alternatives
// or discards them (engine.KeepAnswer). The chat is then rebuilt from the
// store, where the kept answer is the one sent with later requests.
//
// The window is reached only through Host (and the chat through Chat), so
// the dialog can be tested with a fake host.
package compare
