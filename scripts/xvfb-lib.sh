# xvfb-lib.sh — a private X server for the window scripts (smoke.sh,
# bench-window.sh). Source it; it defines:
#
#   guard          array: a command prefix that gives a child SIGTERM when the
#                  calling script dies without running its traps (setpriv
#                  --pdeathsig, util-linux), or empty where that is missing
#   stop PID [N]   TERM, wait up to N tenths of a second (default 30), then KILL
#   xvfb_start LOG start Xvfb on the first free display from :99 to :130 and
#                  wait (~10 s at most) until it answers; sets display (":99")
#                  and xvfb_pid, writes the server's output to LOG. Returns 1
#                  when no display could be started; the caller says so.
#
#   clean_up_on_exit [N]  on exit, stop the app ($app_pid, waiting N tenths)
#                  and the server, show the end of $work/deskchat.log and
#                  $work/xvfb.log when the script failed, and remove $work;
#                  INT and TERM exit 130 and 143.
#
# Or the caller stops the server itself with: stop "$xvfb_pid".
# Requires: Xvfb and xdpyinfo (x11-utils).
# shellcheck shell=bash

# Children get SIGTERM if the script dies without running its traps
# (e.g. SIGKILL), so Xvfb/deskchat never outlive it. setpriv is util-linux.
guard=()
if command -v setpriv >/dev/null 2>&1 && setpriv --pdeathsig TERM true 2>/dev/null; then
	guard=(setpriv --pdeathsig TERM)
fi

xvfb_pid=""
display=""

# stop PID [TENTHS]: TERM, wait up to TENTHS/10 s (default ~3 s), then KILL.
stop() {
	local pid=$1 tenths=${2:-30}
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq "$tenths"); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# xvfb_start LOG: take the first free display from :99 upward.
xvfb_start() {
	local log=$1 n
	display=""
	for n in $(seq 99 130); do
		if [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ]; then
			continue
		fi
		${guard[@]+"${guard[@]}"} Xvfb ":$n" -screen 0 1280x800x24 -nolisten tcp >"$log" 2>&1 &
		xvfb_pid=$!
		# Poll until the server answers (bounded: ~10 s).
		for _ in $(seq 100); do
			if xdpyinfo -display ":$n" >/dev/null 2>&1; then
				display=":$n"
				break
			fi
			kill -0 "$xvfb_pid" 2>/dev/null || break # lost a race for :$n; try next
			sleep 0.1
		done
		[ -n "$display" ] && break
		stop "$xvfb_pid"
		xvfb_pid=""
	done
	[ -n "$display" ]
}

# clean_up_on_exit [TENTHS]: the traps both scripts want (see the top).
clean_up_on_exit() {
	app_stop_tenths=${1:-30}
	trap _clean_up EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# shellcheck disable=SC2154 # work and app_pid are the calling script's
_clean_up() {
	local rc=$?
	stop "${app_pid:-}" "$app_stop_tenths"
	stop "$xvfb_pid"
	if [ "$rc" -ne 0 ]; then
		for log in "$work/deskchat.log" "$work/xvfb.log"; do
			if [ -s "$log" ]; then
				echo "---- last lines of $(basename "$log") ----" >&2
				tail -n 40 "$log" >&2
			fi
		done
	fi
	rm -rf "$work"
	exit "$rc"
}
