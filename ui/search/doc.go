// Package search is the search dialog (Ctrl+F): a query over every
// conversation's messages and titles, results as you type (the latest query
// wins), and choosing a result opens its conversation at that message. It
// reaches the app only through Host.
package search
