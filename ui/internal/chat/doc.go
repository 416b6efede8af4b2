// Package chat holds the widgets of one chat: the message box (Composer:
// Enter sends, Shift+Enter adds a line, the window's keys first) and the
// column its messages are laid out in (ReadingColumn: at most a reading
// width, centred; comparisons take the whole width). The message views and
// the chat's scrolling view are to follow them here from the root package.
package chat
