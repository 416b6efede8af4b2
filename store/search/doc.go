// Package search is the full-text search over message text and conversation titles.
//
// Text is folded before it is indexed or matched: NFKC (full-width Latin,
// half-width kana and ligatures become their plain forms, decomposed accents
// compose), Unicode case folding (ß and ẞ fold to "ss"), curly quotes to
// straight ones, every run of white space to one space. Latin (and any other
// spaced) script is indexed by word; Chinese, Japanese and Korean runs by
// overlapping bigrams plus an end marker for their last character, so that
// any substring of one or more characters can be looked up. Every candidate
// is checked against the real text before it is returned, and the snippet's
// highlights come from that check.
//
// Layout. Every indexed text (a message's content, a conversation's title)
// is a doc with a 64-bit id made of its creation time (ms) and a counter, so
// that id order is time order: newest-first needs no lookups.
//
//	search_recent    conversation id 0 seq → doc record (id, text hash, distinct tokens
//	                 with counts): docs written since the last merge; seq 0 is the title
//	search_docs      doc id → doc record, for docs in the postings
//	search_refs      conversation id 0 seq → text hash + doc id, for docs in the postings
//	search_postings  token 0 first doc id → block of (id delta, tf·length) postings
//	search_dead      doc id → record of a deleted doc whose postings remain
//	search_meta      docs added when last merged; doc and token counts
//
// A write that changes a text puts one record into search_recent, a small
// bucket: a few pages per commit, never one page per token (measured on a
// 100k-message store: 48 KB written per AppendMessage commit instead of 36,
// +0.07 ms p50; the first design, which also wrote a ref and the record into
// the big trees, wrote 76 KB). A search reads the postings and scans
// search_recent. A goroutine (Index.Start, called by the store's Open)
// merges search_recent into the other buckets, in its own write
// transactions, once it holds MergeThreshold docs, and takes the postings
// of deleted docs out (until then they point to missing docs and are
// skipped). Each merge is one transaction: closing or crashing in the
// middle of one loses nothing.
package search
