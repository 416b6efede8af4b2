// Package usage is the Usage window: what the last 30 days of requests
// used and cost (the engine's usage ledger, as `deskchat usage` prints it),
// drawn as charts (ui/internal/chart), and each provider's live metrics (as
// `deskchat stats`), refreshed every second while the window is open.
//
// It knows the app only through Host, which the main window implements;
// tests use a fake one.
package usage
