// Package composer is the bar under the chat where a question is written:
// the text box, Send (Stop while the answer streams), the paperclip and the
// tray of files that go with the next question, the Tools menu of the
// chat's tool servers, and the strip shown while a question is edited.
//
// It knows the app only through Host, which the main window implements;
// tests use a fake one.
package composer
