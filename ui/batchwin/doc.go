// Package batchwin is the Batch window (issue 19): one prompt template over
// every row of a CSV or JSONL file, as `deskchat batch run` does, with the
// file's columns and first filled prompt shown as the template is typed,
// the estimate before anything is sent, Start / Pause / Resume / Cancel, a
// live progress bar and a results table read from the store a page at a
// time, export, and the earlier runs to open again.
//
// It knows the app only through Host, which the main window implements;
// tests use a fake one. Files, one job each: batchwin.go opens and closes
// the window and lays it out, form.go is the file, template and settings,
// estimate.go the first pass, run.go a run's life, results.go the paged
// table, export.go export, runs.go the earlier runs, scene.go (tag
// screenshots) the "batch" scene.
package batchwin
