// Package transfer moves chats in and out of the history: the export and
// import dialogs (store/transfer does the work), the automatic daily
// backups, and the screen shown at start when the history file is damaged
// (recover what can be read). The screens reach the app only through the
// small interfaces they declare (Host, BackupHost), so that tests can drive
// them with a fake app.
package transfer
