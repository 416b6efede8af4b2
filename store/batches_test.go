package store

import (
	"errors"
	"testing"
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
