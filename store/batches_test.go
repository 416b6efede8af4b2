package store

import (
	"errors"
	"testing"
	"time"
)

func TestBatchRowsKeepTheRunsCountsAndReadInPages(t *testing.T) {
	s := open(t, t.TempDir())
	if err := s.PutBatchRows("none", []BatchRow{{Index: 0, State: BatchRowDone}}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("rows of a run not made: %v, want ErrNotFound", err)
	}
	run := BatchRun{Name: "tickets", Input: "tickets.csv", Template: "Classify: {{text}}", State: BatchRunning, Rows: 5, Concurrency: 4}
	if err := s.PutBatch(run); err != nil {
		t.Fatal(err)
	}
	// Another run whose name starts like this one's must not mix in.
	if err := s.PutBatch(BatchRun{Name: "tickets2", State: BatchRunning}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutBatchRows("tickets2", []BatchRow{{Index: 0, State: BatchRowDone, Answer: "other"}}); err != nil {
		t.Fatal(err)
	}
	rows := []BatchRow{
		{Index: 3, Names: []string{"text"}, Values: []string{"d"}, Answer: "D", State: BatchRowDone, Cost: 0.25},
		{Index: 0, Names: []string{"text"}, Values: []string{"a"}, Answer: "A", State: BatchRowDone, Cost: 0.5},
		{Index: 1, State: BatchRowFailed, Error: "The provider refused."},
	}
	if err := s.PutBatchRows("tickets", rows); err != nil {
		t.Fatal(err)
	}
	got, err := s.Batch("tickets")
	if err != nil {
		t.Fatal(err)
	}
	if got.Done != 2 || got.Failed != 1 || got.Cost != 0.75 || got.Template != run.Template {
		t.Fatalf("run after 3 rows: %+v", got)
	}
	// The failed row asked again and answered: counted once, as done.
	if err := s.PutBatchRows("tickets", []BatchRow{{Index: 1, Answer: "B", State: BatchRowDone, Cost: 0.25}}); err != nil {
		t.Fatal(err)
	}
	// Updating the run keeps the counts its rows made.
	run.State = BatchDone
	if err := s.PutBatch(run); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Batch("tickets")
	if got.Done != 3 || got.Failed != 0 || got.Cost != 1 || got.State != BatchDone || got.CreatedAt.IsZero() {
		t.Fatalf("run after the retry: %+v", got)
	}
	page, err := s.BatchRows("tickets", 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 2 || page[0].Index != 0 || page[1].Index != 1 || page[0].Values[0] != "a" {
		t.Fatalf("first page: %+v", page)
	}
	page, _ = s.BatchRows("tickets", 2, 10)
	if len(page) != 1 || page[0].Index != 3 {
		t.Fatalf("second page: %+v", page)
	}
	runs, _ := s.Batches()
	if len(runs) != 2 {
		t.Fatalf("runs: %+v", runs)
	}
	if err := s.DeleteBatch("tickets"); err != nil {
		t.Fatal(err)
	}
	if page, _ := s.BatchRows("tickets", 0, 10); len(page) != 0 {
		t.Fatalf("rows left after delete: %+v", page)
	}
	if page, _ := s.BatchRows("tickets2", 0, 10); len(page) != 1 {
		t.Fatalf("the other run lost its rows: %+v", page)
	}
	if _, err := s.Batch("tickets"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted run: %v", err)
	}
}

// A provider run's parts: PutBatchPart replaces a part by its number and
// writes its ledger line in the same transaction; PutBatch without parts
// keeps them; waiting rows count neither done nor failed; a record made
// before modes reads as an engine run.
func TestBatchPartsAndWaitingRows(t *testing.T) {
	s := open(t, t.TempDir())
	if err := s.PutBatchPart("none", BatchPart{N: 1}, nil); !errors.Is(err, ErrNotFound) {
		t.Fatalf("part of a run not made: %v", err)
	}
	if err := s.PutBatch(BatchRun{Name: "old", State: BatchDone}); err != nil {
		t.Fatal(err)
	}
	if old, _ := s.Batch("old"); old.Mode != "" || old.Parts != nil {
		t.Fatalf("old record %+v", old)
	}
	s.PutBatch(BatchRun{Name: "p", Mode: ModeProvider, State: BatchRunning, Rows: 2})
	if err := s.PutBatchPart("p", BatchPart{N: 1, FileID: "file-1", Requests: 2}, nil); err != nil {
		t.Fatal(err)
	}
	cost := 0.25
	if err := s.PutBatchPart("p", BatchPart{N: 1, FileID: "file-1", BatchID: "batch_1", Collected: true},
		&UsageRecord{Label: "batch p", Provider: "OpenAI", Model: "m", Cost: &cost, Outcome: "done"}); err != nil {
		t.Fatal(err)
	}
	s.PutBatch(BatchRun{Name: "p", Mode: ModeProvider, State: BatchDone, Rows: 2})
	run, _ := s.Batch("p")
	if len(run.Parts) != 1 || run.Parts[0].BatchID != "batch_1" || !run.Parts[0].Collected || run.State != BatchDone {
		t.Fatalf("run %+v", run)
	}
	if recs, _ := s.Usage(time.Time{}, time.Time{}); len(recs) != 1 || recs[0].Label != "batch p" || *recs[0].Cost != 0.25 {
		t.Fatalf("ledger %+v", recs)
	}
	s.PutBatchRows("p", []BatchRow{{Index: 0, State: BatchRowFailed}, {Index: 1, State: BatchRowDone}})
	s.PutBatchRows("p", []BatchRow{{Index: 0, State: BatchRowWaiting, Part: 2}})
	if run, _ := s.Batch("p"); run.Done != 1 || run.Failed != 0 {
		t.Fatalf("counts %+v", run)
	}
}
