package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/deskchat/deskchat/ui"
)

// soakFromEnv is scripts/soak-window.sh's hook: $DESKCHAT_SOAK=N makes the
// window ask N questions by itself once ready, $DESKCHAT_SOAK_PACE_MS apart
// at least (default 700), resting after answer n for d where
// $DESKCHAT_SOAK_REST lists "n:d" (comma-separated, d a Go duration), and print "deskchat: soak: N answered" on stderr
// after each answer. While it is set, SIGUSR1 prints the live heap after a
// collection ("deskchat: live heap N bytes") and, with $DESKCHAT_MEMPROFILE,
// writes a heap profile to that path plus ".1", ".2", ... With
// $DESKCHAT_CPUPROFILE, SIGUSR2 starts a CPU profile into that path plus
// ".1", ".2", ... and the next SIGUSR2 ends it. nil when unset.
func soakFromEnv() *ui.Soak {
	v := os.Getenv("DESKCHAT_SOAK")
	if v == "" {
		return nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		fmt.Fprintf(os.Stderr, "deskchat: DESKCHAT_SOAK=%q is not a number of questions; no soak.\n", v)
		return nil
	}
	pace := 700 * time.Millisecond
	if v := os.Getenv("DESKCHAT_SOAK_PACE_MS"); v != "" {
		if ms, err := strconv.Atoi(v); err == nil && ms > 0 {
			pace = time.Duration(ms) * time.Millisecond
		}
	}
	rests := map[int]time.Duration{}
	for _, r := range strings.Split(os.Getenv("DESKCHAT_SOAK_REST"), ",") {
		at, d, ok := strings.Cut(r, ":")
		n, err1 := strconv.Atoi(at)
		dur, err2 := time.ParseDuration(d)
		if ok && err1 == nil && err2 == nil {
			rests[n] = dur
		} else if r != "" {
			fmt.Fprintf(os.Stderr, "deskchat: DESKCHAT_SOAK_REST: %q is not n:duration; ignored.\n", r)
		}
	}
	go heapOnSignal(os.Getenv("DESKCHAT_MEMPROFILE"))
	if prof := os.Getenv("DESKCHAT_CPUPROFILE"); prof != "" {
		go cpuOnSignal(prof)
	}
	return &ui.Soak{Questions: n, Pace: pace, Rests: rests, Answered: func(n int, failed bool) {
		if failed {
			fmt.Fprintf(os.Stderr, "deskchat: soak: question %d could not be sent\n", n+1)
			return
		}
		fmt.Fprintf(os.Stderr, "deskchat: soak: %d answered\n", n)
	}}
}

// heapOnSignal prints the live heap (and writes a profile when prof is set)
// each time SIGUSR1 arrives.
func heapOnSignal(prof string) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGUSR1)
	for i := 1; ; i++ {
		<-sig
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		fmt.Fprintf(os.Stderr, "deskchat: live heap %d bytes (Go holds %d MB of heap, %d MB in use; %d MB of runtime)\n",
			ms.HeapAlloc, (ms.HeapSys-ms.HeapReleased)>>20, ms.HeapInuse>>20, (ms.Sys-ms.HeapSys)>>20)
		if prof != "" {
			writeHeapProfile(fmt.Sprintf("%s.%d", prof, i))
		}
	}
}

// cpuOnSignal starts a CPU profile at one SIGUSR2 and ends it at the next,
// so that the first and the last answers of a soak can be compared.
func cpuOnSignal(prof string) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGUSR2)
	for i := 1; ; i++ {
		<-sig
		f, err := os.Create(fmt.Sprintf("%s.%d", prof, i))
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			// The next signal still ends this profile, so that each
			// numbered profile is the span between the same two signals.
			fmt.Fprintf(os.Stderr, "deskchat: DESKCHAT_CPUPROFILE: %v\n", err)
			<-sig
			continue
		}
		fmt.Fprintf(os.Stderr, "deskchat: cpu profile %d started\n", i)
		<-sig
		pprof.StopCPUProfile()
		f.Close()
		fmt.Fprintf(os.Stderr, "deskchat: cpu profile %d written\n", i)
	}
}
