#!/usr/bin/env bash
# hostile-window.sh — open each hostile chat (internal/hostile: a 400-column
# table, a 2 MB line, an unclosed code fence of 50,000 lines, 100 KB of
# base64 without a space) in the real binary under Xvfb and print
#
#   hostile_open_ms_window        the slowest of them: process start to the
#                                 window ready with that chat open
#                                 ($DESKCHAT_OPEN, $DESKCHAT_READY_FILE, as
#                                 bench-window.sh's startup_ms_100k)
#   hostile_open_ms_window_floor  the same for a chat with one ordinary
#                                 answer, measured in the same run
#   hostile_open_ms_window_over_floor  the first minus the second: what the
#                                 hostile chat adds (on a busy machine the
#                                 start itself takes seconds)
#   hostile_quit_ms_window        the slowest exit after SIGTERM with a
#                                 hostile chat open
#
# as "BENCH NAME VALUE UNIT". The figure asked for is ≤ 300 ms over the floor
# (the toolkit's own start). A chat is given BENCH_READY_TIMEOUT seconds
# (default 60): a window that freezes on one fails the script.
#
# Environment: DESKCHAT_BIN (default ./deskchat), BENCH_SETTLE seconds
# between ready and SIGTERM (default 1), BENCH_LANGUAGE, GO.
# Requires: Xvfb xdpyinfo (x11-utils), Mesa software GL; `make deps-test`.
set -euo pipefail

die() {
	echo "hostile-window: FAIL: $*" >&2
	exit 1
}
say() { echo "hostile-window: $*" >&2; }

bin=${DESKCHAT_BIN:-./deskchat}
[ -x "$bin" ] || die "binary '$bin' not found or not executable (run 'make build' or set DESKCHAT_BIN)"
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
go_cmd=${GO:-go}
settle=${BENCH_SETTLE:-1}
ready_timeout=${BENCH_READY_TIMEOUT:-60}
for tool in Xvfb xdpyinfo timeout "$go_cmd"; do
	command -v "$tool" >/dev/null 2>&1 || die "'$tool' not installed (run 'make deps-test')"
done

# shellcheck source=scripts/xvfb-lib.sh
. "$repo/scripts/xvfb-lib.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/deskchat-hostile.XXXXXX")
app_pid=""
clean_up_on_exit 5

"$go_cmd" run ./scripts/gen-hostile -dir "$work/data" >"$work/ids" || die "scripts/gen-hostile could not write the history"
"$bin" --data-dir "$work/plain" providers default Simulator >/dev/null &&
	"$bin" ask --data-dir "$work/plain" --provider Simulator "How do Go channels work?" >/dev/null ||
	die "could not write the ordinary chat with deskchat ask"
xvfb_start "$work/xvfb.log" || die "could not start Xvfb on any display :99-:130"
ready="$work/ready"

# launch DATA_DIR [OPEN_ID]: start deskchat and wait for its ready line; sets
# app_pid and launch_ms.
launch() {
	local dir=$1 open=${2:-} start line="" deadline
	rm -f "$ready"
	start=$(date +%s%N)
	DISPLAY=$display LIBGL_ALWAYS_SOFTWARE=1 XDG_CONFIG_HOME="$work/config" \
		LANGUAGE="${BENCH_LANGUAGE:-en_US}" DESKCHAT_READY_FILE="$ready" DESKCHAT_OPEN="$open" \
		${guard[@]+"${guard[@]}"} "$bin" --data-dir "$dir" >"$work/deskchat.log" 2>&1 &
	app_pid=$!
	deadline=$((SECONDS + ready_timeout))
	while :; do
		if [ -s "$ready" ]; then
			line=$(head -n 1 "$ready")
			[[ $line =~ ^ready\ [0-9]+$ ]] && break
		fi
		kill -0 "$app_pid" 2>/dev/null || die "deskchat exited before it was ready (${open:-$dir})"
		[ "$SECONDS" -lt "$deadline" ] || die "deskchat was not ready within ${ready_timeout}s with chat ${open:-$dir} open"
		sleep 0.02
	done
	launch_ms=$(((${line#ready } - start) / 1000000))
}

# quit: SIGTERM, and the time until the process is gone (at most 10 s).
quit() {
	local t0
	t0=$(date +%s%N)
	kill -TERM "$app_pid"
	for _ in $(seq 1000); do
		kill -0 "$app_pid" 2>/dev/null || break
		sleep 0.01
	done
	kill -0 "$app_pid" 2>/dev/null && die "deskchat did not exit within 10 s of SIGTERM"
	wait "$app_pid" 2>/dev/null || true
	app_pid=""
	quit_ms=$((($(date +%s%N) - t0) / 1000000))
}

launch "$work/plain"
floor=$launch_ms
sleep "$settle"
quit
say "an ordinary chat: ready in $floor ms"
worst=0
worst_quit=0
while read -r name id; do
	launch "$work/data" "$id"
	say "$name: ready in $launch_ms ms"
	sleep "$settle"
	quit
	say "$name: exited $quit_ms ms after SIGTERM"
	[ "$launch_ms" -gt "$worst" ] && worst=$launch_ms
	[ "$quit_ms" -gt "$worst_quit" ] && worst_quit=$quit_ms
done <"$work/ids"
[ $((worst - floor)) -gt 300 ] && say "hostile_open_ms_window $worst ms is more than 300 ms over the floor ($floor ms)"
echo "BENCH hostile_open_ms_window $worst ms"
echo "BENCH hostile_open_ms_window_floor $floor ms"
echo "BENCH hostile_open_ms_window_over_floor $((worst - floor)) ms"
echo "BENCH hostile_quit_ms_window $worst_quit ms"
