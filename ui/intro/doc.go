// Package intro is what an empty chat offers, and the pane shown when no
// chat is chosen: a heading, the user's recent questions and a few
// examples; tapping one puts it in the composer, to be changed or sent.
//
// It knows the app only through Host, which the main window implements;
// tests use a fake one.
package intro
