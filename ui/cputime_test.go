package ui

import (
	"runtime"
	"syscall"
	"testing"
	"time"
)

// threadCPU is the CPU time the calling OS thread has used (Linux
// RUSAGE_THREAD). A benchmark that locks its goroutine to its thread and
// runs the UI's posted work there measures that work's own CPU time, which
// a machine shared with other jobs does not inflate as it does wall time.
func threadCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		tb.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// processCPU is the CPU time the whole process has used.
func processCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// lockThread keeps the benchmark's goroutine on its OS thread until it ends.
func lockThread(tb testing.TB) {
	runtime.LockOSThread()
	tb.Cleanup(runtime.UnlockOSThread)
}
