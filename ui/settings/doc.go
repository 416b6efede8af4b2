// Package settings is the Settings dialog — the providers (add, test,
// save, remove; their keys in the keychain, an environment variable or a
// command) and the defaults for new chats (provider, model, system prompt,
// temperature, longest answer, theme, backups kept) — and the first-run
// dialog that offers the ways to start.
//
// The dialog talks to the app only through Host: New(host) makes the
// window's Dialog, which stays for the window's life (it remembers the
// theme applied) and holds the widgets of the dialog last opened, for
// tests. Prefs are the defaults as stored; the window reads them when it
// makes a conversation or a request. Everything here runs on the UI
// goroutine; the store, keychain and network work runs on the host's
// bridge.
package settings
