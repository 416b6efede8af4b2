// Package look is how the window looks: the app's theme (light, dark or the
// system's, code colours, CJK fonts cut to the runes shown), the colours
// derived from it (muted text, question bubbles, contrast), and the small
// widgets every screen draws with (hover boxes and buttons, muted text, the
// bubble layout, wheel relays for scrolling through forms).
package look
