#!/usr/bin/env bash
# bench-window.sh — the window's figures, measured on the real binary under
# Xvfb, printed as "BENCH NAME VALUE UNIT":
#
#   startup_ms_100k     process start to the window ready (conversation list,
#                       newest chat, composer focused) with a 100,000-message
#                       history; median of BENCH_RUNS runs. Goal ≤ 500 ms.
#   rss_growth_mb_100k  VmRSS with that history open and its 10,000-message
#                       chat shown, minus VmRSS with an empty history, each
#                       BENCH_SETTLE seconds after ready. Goal ≤ 40 MB.
#   idle_cpu_pct        CPU (utime+stime) over BENCH_IDLE seconds with the long
#                       chat open and nothing happening. Goal ≤ 1 %.
#   idle_cpu_pct_fyne_floor   the same for the smallest Fyne window with a
#                       focused text box (scripts/fyne-floor): the toolkit's
#                       event loop wakes 60 times a second whatever the app does.
#   rss_growth_mb_one_chat    rss_growth_mb_100k's reading for a history of one
#                       short chat: what showing any chat costs (fonts, text
#                       textures), apart from the history's size.
#
# "Ready" is what deskchat writes, as one line "ready <unix-nanos>", to the
# file named by $DESKCHAT_READY_FILE; $DESKCHAT_OPEN=<conversation id> makes it
# open that chat at start. The history is written by scripts/gen-history:
# BENCH_CONVERSATIONS chats of BENCH_MESSAGES messages plus one of BENCH_LONG.
#
# Environment:
#   DESKCHAT_BIN         binary to measure (default ./deskchat; `make bench-window` builds it)
#   BENCH_RUNS           startup runs (default 5)
#   BENCH_CONVERSATIONS  ordinary chats (default 900)
#   BENCH_MESSAGES       messages per ordinary chat (default 100)
#   BENCH_LONG           messages in the long chat (default 10000)
#   BENCH_SETTLE         seconds between ready and a reading (default 2)
#   BENCH_IDLE           seconds of the idle CPU reading (default 30)
#   BENCH_READY_TIMEOUT  seconds to wait for the ready line (default 60)
#   BENCH_LANGUAGE       LANGUAGE for the app (default en_US)
#   GO                   go command (default go)
#
# Requires: Xvfb xdpyinfo (x11-utils), Mesa software GL (libgl1-mesa-dri);
# `make deps-test` installs them.
set -euo pipefail

die() {
	echo "bench-window: FAIL: $*" >&2
	exit 1
}
say() { echo "bench-window: $*" >&2; }

bin=${DESKCHAT_BIN:-./deskchat}
[ -x "$bin" ] || die "binary '$bin' not found or not executable (run 'make build' or set DESKCHAT_BIN)"
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

go_cmd=${GO:-go}
runs=${BENCH_RUNS:-5}
n_convs=${BENCH_CONVERSATIONS:-900}
n_msgs=${BENCH_MESSAGES:-100}
n_long=${BENCH_LONG:-10000}
settle=${BENCH_SETTLE:-2}
idle=${BENCH_IDLE:-30}
ready_timeout=${BENCH_READY_TIMEOUT:-60}
for v in BENCH_RUNS BENCH_CONVERSATIONS BENCH_MESSAGES BENCH_LONG BENCH_IDLE BENCH_READY_TIMEOUT; do
	if [ -n "${!v:-}" ] && ! [[ ${!v} =~ ^[1-9][0-9]*$ ]]; then
		die "$v must be a whole number above 0, not '${!v}'"
	fi
done
[[ $settle =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "BENCH_SETTLE must be a number of seconds, not '$settle'"

for tool in Xvfb xdpyinfo timeout "$go_cmd"; do
	command -v "$tool" >/dev/null 2>&1 || die "'$tool' not installed (run 'make deps-test')"
done
[ -r /proc/self/status ] || die "/proc is not mounted; the memory and CPU figures read /proc/PID"
clk_tck=$(getconf CLK_TCK)

# guard (children die with this script), stop PID, xvfb_start LOG.
# shellcheck source=scripts/xvfb-lib.sh
. "$repo/scripts/xvfb-lib.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/deskchat-bench.XXXXXX")
app_pid=""
clean_up_on_exit 5

# --- The histories: a big one from gen-history, an empty one. Both have the
# Simulator as default provider, so no first-run dialog opens. ---
"$go_cmd" build -o "$work/gen-history" ./scripts/gen-history || die "could not build scripts/gen-history"
t0=$(date +%s%N)
long_id=$("$work/gen-history" -dir "$work/big" -conversations "$n_convs" -messages "$n_msgs" -long "$n_long") ||
	die "scripts/gen-history could not write the history"
[ -n "$long_id" ] || die "scripts/gen-history printed no id for the long chat"
say "history of $((n_convs * n_msgs + n_long)) messages written in $((($(date +%s%N) - t0) / 1000000)) ms; long chat $long_id"
"$bin" --data-dir "$work/empty" providers default Simulator >/dev/null ||
	die "could not make the Simulator the default provider of the empty history"

xvfb_start "$work/xvfb.log" || die "could not start Xvfb on any display :99-:130"
say "Xvfb ready on $display"
mkdir -p "$work/config"
ready="$work/ready"

# launch DATA_DIR [OPEN_ID]: start deskchat, wait for its ready line; sets
# app_pid, and launch_ms (start to ready). DATA_DIR "floor" starts the
# smallest Fyne window instead (scripts/fyne-floor).
launch() {
	local dir=$1 open=${2:-} start line="" deadline cmd
	cmd=("$bin" --data-dir "$dir")
	[ "$dir" = floor ] && cmd=("$work/fyne-floor")
	rm -f "$ready"
	start=$(date +%s%N)
	DISPLAY=$display LIBGL_ALWAYS_SOFTWARE=1 XDG_CONFIG_HOME="$work/config" \
		LANGUAGE="${BENCH_LANGUAGE:-en_US}" DESKCHAT_READY_FILE="$ready" DESKCHAT_OPEN="$open" \
		${guard[@]+"${guard[@]}"} "${cmd[@]}" >"$work/deskchat.log" 2>&1 &
	app_pid=$!
	deadline=$((SECONDS + ready_timeout))
	while :; do
		if [ -s "$ready" ]; then
			line=$(head -n 1 "$ready")
			[[ $line =~ ^ready\ [0-9]+$ ]] && break
		fi
		kill -0 "$app_pid" 2>/dev/null || die "deskchat exited before it was ready (data dir $dir)"
		[ "$SECONDS" -lt "$deadline" ] ||
			die "deskchat wrote no line 'ready <unix-nanos>' to \$DESKCHAT_READY_FILE within ${ready_timeout}s; a build without that hook (ui) cannot be measured${line:+ (the file holds: $line)}"
		sleep 0.02
	done
	launch_ms=$(((${line#ready } - start) / 1000000))
	[ "$launch_ms" -ge 0 ] || die "the ready time ($line) is before the start ($start)"
}

# rss_kb PID: VmRSS in kB.
rss_kb() {
	local kb
	kb=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status" 2>/dev/null) || true
	[ -n "$kb" ] || die "could not read VmRSS of deskchat (pid $1): it exited?"
	echo "$kb"
}

# rss_parts PID: "anon A MB, file F MB" (the history file is mapped: pages
# of it that were read count as resident file pages).
rss_parts() {
	awk '$1 == "RssAnon:" { a = $2 } $1 == "RssFile:" { f = $2 } END { printf "anon %d MB, file %d MB", a / 1024, f / 1024 }' "/proc/$1/status" 2>/dev/null || true
}

# cpu_ticks PID: utime+stime in clock ticks (fields 14 and 15 of stat; the
# name in parentheses may hold spaces, so count from the last ')').
cpu_ticks() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || die "could not read the CPU time of deskchat (pid $1): it exited?"
	stat=${stat##*) }
	# shellcheck disable=SC2086 # split the fields
	set -- $stat
	echo $((${12} + ${13}))
}

# pause SECONDS: sleep, but let a signal's trap run at once.
pause() {
	sleep "$1" &
	wait $! || true
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

# --- startup_ms_100k ---
times=()
for i in $(seq "$runs"); do
	launch "$work/big"
	times+=("$launch_ms")
	say "startup run $i: $launch_ms ms"
	if [ "$i" -eq "$runs" ]; then # for the record: the newest chat shown
		pause "$settle"
		say "VmRSS: $(($(rss_kb "$app_pid") / 1024)) MB with the history and its newest chat open ($(rss_parts "$app_pid"))"
	fi
	stop "$app_pid" 5
	app_pid=""
done
startup=$(printf '%s\n' "${times[@]}" | median)

# --- rss_growth_mb_100k and idle_cpu_pct: the long chat open. ---
launch "$work/empty"
say "startup with an empty history: $launch_ms ms"
pause "$settle"
rss_empty=$(rss_kb "$app_pid")
parts_empty=$(rss_parts "$app_pid")
stop "$app_pid" 5
app_pid=""

launch "$work/big" "$long_id"
say "long chat opened in $launch_ms ms"
pause "$settle"
rss_big=$(rss_kb "$app_pid")
say "VmRSS: $((rss_big / 1024)) MB with the history and its long chat open ($(rss_parts "$app_pid")), $((rss_empty / 1024)) MB empty ($parts_empty)"

c0=$(cpu_ticks "$app_pid")
w0=$(date +%s%N)
pause "$idle"
c1=$(cpu_ticks "$app_pid")
w1=$(date +%s%N)
stop "$app_pid" 5
app_pid=""
say "idle: $((c1 - c0)) ticks of CPU (${clk_tck}/s) in $(((w1 - w0) / 1000000)) ms"

rss_growth=$(awk -v a="$rss_big" -v b="$rss_empty" 'BEGIN { printf "%.1f", (a - b) / 1024 }')
idle_cpu=$(awk -v c="$((c1 - c0))" -v hz="$clk_tck" -v ns="$((w1 - w0))" 'BEGIN { printf "%.2f", 100 * (c / hz) / (ns / 1e9) }')

# --- Beside them: a history of one short chat (what showing any chat costs,
# whatever the history's size), and the floor the toolkit sets: the smallest
# Fyne window with a focused text box, idle for as long. ---
if ! "$bin" --data-dir "$work/small" providers default Simulator >/dev/null ||
	! "$bin" ask --data-dir "$work/small" --provider Simulator "How do Go channels work?" >/dev/null; then
	die "could not write the one-chat history with deskchat ask"
fi
launch "$work/small"
pause "$settle"
rss_small=$(rss_kb "$app_pid")
stop "$app_pid" 5
app_pid=""
rss_one_chat=$(awk -v a="$rss_small" -v b="$rss_empty" 'BEGIN { printf "%.1f", (a - b) / 1024 }')

GOFLAGS='' "${GO:-go}" build -tags "${TAGS:-migrated_fynedo,no_animations}" -o "$work/fyne-floor" ./scripts/fyne-floor ||
	die "could not build scripts/fyne-floor"
launch floor
pause "$settle"
c0=$(cpu_ticks "$app_pid")
w0=$(date +%s%N)
pause "$idle"
c1=$(cpu_ticks "$app_pid")
w1=$(date +%s%N)
stop "$app_pid" 5
app_pid=""
idle_floor=$(awk -v c="$((c1 - c0))" -v hz="$clk_tck" -v ns="$((w1 - w0))" 'BEGIN { printf "%.2f", 100 * (c / hz) / (ns / 1e9) }')

over() { awk -v v="$1" -v g="$2" 'BEGIN { exit !(v > g) }'; }
over "$startup" 500 && say "startup_ms_100k $startup ms is over the goal of 500 ms"
over "$rss_growth" 40 && say "rss_growth_mb_100k $rss_growth MB is over the goal of 40 MB"
over "$idle_cpu" 1 && say "idle_cpu_pct $idle_cpu % is over the goal of 1 %"

echo "BENCH startup_ms_100k $startup ms"
echo "BENCH rss_growth_mb_100k $rss_growth MB"
echo "BENCH idle_cpu_pct $idle_cpu %"
echo "BENCH idle_cpu_pct_fyne_floor $idle_floor %"
echo "BENCH rss_growth_mb_one_chat $rss_one_chat MB"
