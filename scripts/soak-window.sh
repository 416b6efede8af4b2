#!/usr/bin/env bash
# soak-window.sh — a long session in the real window under Xvfb: the window
# asks SOAK_QUESTIONS questions, one after the other, in one chat (the
# Simulator at 2,000 tokens a second, a question at most every 0.7 s), through
# the Send button's own path ($DESKCHAT_SOAK, ui/soak.go). Printed as
# "BENCH NAME VALUE UNIT" (N = SOAK_QUESTIONS, 300 by default):
#
#   soak_rss_growth_mb_N    VmRSS after N answers minus VmRSS after the first
#                           20, each SOAK_SETTLE seconds after that answer with
#                           the window at rest. Goal ≤ 40 MB.
#   soak_heap_growth_mb_N   the Go live heap after a collection (SIGUSR1 makes
#                           deskchat print it), same points. Goal ≤ 10 MB.
#   soak_cpu_s_per_50_first CPU (utime+stime) of answers 1-50 (from ready),
#                           without the rest after answer 20 for its reading.
#   soak_cpu_s_per_50_second CPU of answers 51-100: the window of messages
#                           the chat keeps built (40) is full from answer 20 on.
#   soak_cpu_s_per_50_last  CPU of the last 50 answers.
#   soak_ref_ms_*           a fixed awk loop's CPU time at the window's two ends
#                           (the machine's speed just then), and
#   soak_cpu_last_over_*_at_ref  the last window's CPU over the first's (or the
#                           second's), each over its reference: 1.00 is flat.
#                           Goal: flat (a long chat costs no more per answer).
#
# Environment:
#   DESKCHAT_BIN        binary to measure (default ./deskchat)
#   SOAK_QUESTIONS      questions (default 300; at least 100)
#   SOAK_PACE_MS        least time between two questions (default 700)
#   SOAK_SETTLE         seconds at rest before a reading (default 95: the window
#                       lets Fyne sweep its widget cache 75 s after a burst of work
#                       and returns the memory 11 s later; ui/window.go trimSoon)
#   SOAK_STALL          seconds without progress before giving up (default 120)
#   SOAK_MEMPROFILE     if set, heap profiles at the two readings: $SOAK_MEMPROFILE.1 and .2
#   SOAK_CPUPROFILE     if set, CPU profiles of the first 50 answers ($SOAK_CPUPROFILE.1)
#                       and of the last 50 ($SOAK_CPUPROFILE.2)
#
# Requires: Xvfb xdpyinfo (x11-utils), Mesa software GL (libgl1-mesa-dri).
set -euo pipefail

die() {
	echo "soak-window: FAIL: $*" >&2
	exit 1
}
say() { echo "soak-window: $*" >&2; }

bin=${DESKCHAT_BIN:-./deskchat}
[ -x "$bin" ] || die "binary '$bin' not found or not executable (run 'make build' or set DESKCHAT_BIN)"
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

n=${SOAK_QUESTIONS:-300}
pace=${SOAK_PACE_MS:-700}
settle=${SOAK_SETTLE:-95}
stall=${SOAK_STALL:-120}
for v in SOAK_QUESTIONS SOAK_PACE_MS SOAK_SETTLE SOAK_STALL; do
	if [ -n "${!v:-}" ] && ! [[ ${!v} =~ ^[1-9][0-9]*$ ]]; then
		die "$v must be a whole number above 0, not '${!v}'"
	fi
done
[ "$n" -ge 100 ] || die "SOAK_QUESTIONS must be at least 100 (two windows of 50 answers), not $n"
for tool in Xvfb xdpyinfo timeout; do
	command -v "$tool" >/dev/null 2>&1 || die "'$tool' not installed (run 'make deps-test')"
done
[ -r /proc/self/status ] || die "/proc is not mounted; the memory and CPU figures read /proc/PID"
clk_tck=$(getconf CLK_TCK)

# shellcheck source=scripts/xvfb-lib.sh
. "$repo/scripts/xvfb-lib.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/deskchat-soak.XXXXXX")
app_pid=""
clean_up_on_exit 5
log="$work/deskchat.log"

# One chat to ask in (the window shows the newest chat at start).
if ! "$bin" --data-dir "$work/data" providers default Simulator >/dev/null ||
	! "$bin" ask --data-dir "$work/data" --provider Simulator "Where does a long session start?" >/dev/null; then
	die "could not write the chat to soak with deskchat ask"
fi
xvfb_start "$work/xvfb.log" || die "could not start Xvfb on any display :99-:130"
say "Xvfb ready on $display"
mkdir -p "$work/config"

rss_kb() {
	local kb
	kb=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status" 2>/dev/null) || true
	[ -n "$kb" ] || die "could not read VmRSS of deskchat (pid $1): it exited?"
	echo "$kb"
}
cpu_ticks() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || die "could not read the CPU time of deskchat (pid $1): it exited?"
	stat=${stat##*) }
	# shellcheck disable=SC2086 # split the fields
	set -- $stat
	echo $((${12} + ${13}))
}
pause() {
	sleep "$1" &
	wait $! || true
}

# ref_ms: the CPU time of a fixed piece of work (an awk loop), the least of
# three runs, in ms: how fast a CPU second is just now. On this kind of VM it
# moved by a quarter between two quiet runs of make bench, and CPU seconds of
# the window with it; each window's CPU is also given over the mean of the
# reference at its two ends, so that the windows compare at one speed.
ref_ms() {
	local best=999999 t _
	for _ in 1 2 3; do
		t=$({ TIMEFORMAT=%3U; time awk 'BEGIN { for (i = 0; i < 1e7; i++) s += i * i }'; } 2>&1)
		t=${t/./}
		t=$((10#$t))
		[ "$t" -ge "$best" ] || best=$t
	done
	echo "$best"
}

# wait_for WHAT PATTERN COUNT: until the log holds COUNT lines matching
# PATTERN; gives up when deskchat exits, says a question could not be sent,
# or SOAK_STALL seconds pass.
wait_for() {
	local what=$1 pattern=$2 count=$3 deadline=$((SECONDS + stall)) size=0 now
	while [ "$(grep -c -E "$pattern" "$log" 2>/dev/null || true)" -lt "$count" ]; do
		kill -0 "$app_pid" 2>/dev/null || die "deskchat exited while waiting for $what"
		grep -q 'could not be sent' "$log" && die "$(grep -m1 'could not be sent' "$log")"
		now=$(stat -c %s "$log")
		[ "$now" = "$size" ] || deadline=$((SECONDS + stall)) size=$now
		if [ "$SECONDS" -ge "$deadline" ]; then
			kill -QUIT "$app_pid" 2>/dev/null && pause 1 # its goroutines' stacks, into the log
			die "no $what: nothing happened for ${stall}s"
		fi
		sleep 0.05
	done
}
answered() { wait_for "answer $1" "^deskchat: soak: $1 answered$" 1; }

# reading K: RSS (kB) and live heap (bytes) SOAK_SETTLE s after answer K,
# the soak resting meanwhile; sets rss and heap.
reading() {
	pause "$settle"
	rss=$(rss_kb "$app_pid")
	kill -USR1 "$app_pid"
	wait_for "the live heap after answer $1" '^deskchat: live heap [0-9]+ bytes' "$2"
	line=$(grep -E '^deskchat: live heap [0-9]+ bytes' "$log" | sed -n "$2p")
	heap=$(awk '{ print $4 }' <<<"$line")
	say "after answer $1, at rest: VmRSS $((rss / 1024)) MB, live heap $((heap / 1048576)) MB ${line#* bytes }; $(rss_parts "$app_pid")"
}

# rss_parts PID: where the resident memory is, from /proc/PID/smaps: the C
# heap (glibc's main arena), other anonymous memory (the Go heap, thread
# arenas, the GL driver's buffers) and mapped files (code, fonts, the
# history file).
rss_parts() {
	awk '/^[0-9a-f]+-[0-9a-f]+ / { name = $6 }
		$1 == "Rss:" {
			if (name == "[heap]") c += $2
			else if (name == "" || name ~ /^\[anon/) a += $2
			else if (name ~ /^\//) f += $2
			else o += $2
		}
		END { printf "C heap %d MB, other anonymous %d MB, files %d MB, rest %d MB", c/1024, a/1024, f/1024, o/1024 }' "/proc/$1/smaps" 2>/dev/null ||
		echo "no /proc/$1/smaps"
}

ready="$work/ready"
# Rest after answer 20 and the last long enough for a reading.
rest=$((settle + 5))s
DISPLAY=$display LIBGL_ALWAYS_SOFTWARE=1 XDG_CONFIG_HOME="$work/config" LANGUAGE=en_US \
	DESKCHAT_READY_FILE="$ready" DESKCHAT_SIMULATOR_RATE=2000 \
	DESKCHAT_SOAK="$n" DESKCHAT_SOAK_PACE_MS="$pace" DESKCHAT_SOAK_REST="20:$rest,$n:$rest" \
	DESKCHAT_MEMPROFILE="${SOAK_MEMPROFILE:-}" DESKCHAT_CPUPROFILE="${SOAK_CPUPROFILE:-}" \
	${guard[@]+"${guard[@]}"} "$bin" --data-dir "$work/data" >"$log" 2>&1 &
app_pid=$!
deadline=$((SECONDS + stall))
until [ -s "$ready" ]; do
	kill -0 "$app_pid" 2>/dev/null || die "deskchat exited before it was ready"
	[ "$SECONDS" -lt "$deadline" ] || die "deskchat wrote no ready line within ${stall}s"
	sleep 0.02
done
t0=$SECONDS
c0=$(cpu_ticks "$app_pid")
r0=$(ref_ms)
cpu_profile() { [ -z "${SOAK_CPUPROFILE:-}" ] || kill -USR2 "$app_pid"; }
cpu_profile
say "ready: VmRSS $(($(rss_kb "$app_pid") / 1024)) MB; asking $n questions"

answered 20
c20=$(cpu_ticks "$app_pid")
reading 20 1
c20r=$(cpu_ticks "$app_pid") # the reading's rest is not an answer's work
rss20=$rss heap20=$heap
answered 50
c50=$(cpu_ticks "$app_pid")
r50=$(ref_ms)
cpu_profile
for k in $(seq 100 50 $((n - 50))); do
	answered "$k"
	if [ "$k" = 100 ]; then
		c100=$(cpu_ticks "$app_pid")
		r100=$(ref_ms)
	fi
	say "after answer $k: VmRSS $(($(rss_kb "$app_pid") / 1024)) MB, $((SECONDS - t0)) s"
done
answered $((n - 50))
cl0=$(cpu_ticks "$app_pid")
rl0=$(ref_ms)
cpu_profile
answered "$n"
cl1=$(cpu_ticks "$app_pid")
rl1=$(ref_ms)
cpu_profile
reading "$n" 2
stop "$app_pid" 5
app_pid=""

mb() { awk -v a="$1" -v b="$2" -v d="$3" 'BEGIN { printf "%.1f", (a - b) / d }'; }
rss_growth=$(mb "$rss" "$rss20" 1024)
heap_growth=$(mb "$heap" "$heap20" 1048576)
cpu_first=$(awk -v c="$((c20 - c0 + c50 - c20r))" -v hz="$clk_tck" 'BEGIN { printf "%.2f", c / hz }')
cpu_second=$(awk -v c="$((c100 - c50))" -v hz="$clk_tck" 'BEGIN { printf "%.2f", c / hz }')
cpu_last=$(awk -v c="$((cl1 - cl0))" -v hz="$clk_tck" 'BEGIN { printf "%.2f", c / hz }')
over() { awk -v v="$1" -v g="$2" 'BEGIN { exit !(v > g) }'; }
over "$rss_growth" 40 && say "soak_rss_growth_mb_$n $rss_growth MB is over the goal of 40 MB"
over "$heap_growth" 10 && say "soak_heap_growth_mb_$n $heap_growth MB is over the goal of 10 MB"
echo "BENCH soak_rss_growth_mb_$n $rss_growth MB"
echo "BENCH soak_heap_growth_mb_$n $heap_growth MB"
# Each window's CPU over its reference (mean of its two ends), the last
# window's over the first's and the second's: 1.00 is flat.
norm() { awk -v c="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.4f", c / ((a + b) / 2) }'; }
n_first=$(norm "$cpu_first" "$r0" "$r50")
n_second=$(norm "$cpu_second" "$r50" "$r100")
n_last=$(norm "$cpu_last" "$rl0" "$rl1")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
echo "BENCH soak_ref_ms_first $(((r0 + r50) / 2)) ms"
echo "BENCH soak_ref_ms_second $(((r50 + r100) / 2)) ms"
echo "BENCH soak_ref_ms_last $(((rl0 + rl1) / 2)) ms"
echo "BENCH soak_cpu_last_over_first_at_ref $(ratio "$n_last" "$n_first") x"
echo "BENCH soak_cpu_last_over_second_at_ref $(ratio "$n_last" "$n_second") x"
echo "BENCH soak_cpu_s_per_50_first $cpu_first s"
echo "BENCH soak_cpu_s_per_50_second $cpu_second s"
echo "BENCH soak_cpu_s_per_50_last $cpu_last s"
