#!/usr/bin/env bash
# smoke.sh — start the real deskchat binary under Xvfb, wait for its window
# to paint, and save a screenshot. Fails if the window never appears, the app
# exits early, or the screenshot is (nearly) a single colour.
#
# Environment:
#   DESKCHAT_BIN         binary to run (default ./deskchat, relative to the caller's cwd)
#   SMOKE_ARGS           extra arguments for deskchat (word-split)
#   SMOKE_OUT            screenshot path (default screenshots/smoke.png, relative to repo root)
#   SMOKE_WINDOW_NAME    xdotool --name regex for the main window (default deskchat)
#   SMOKE_MIN_COLORS     minimum unique colours for a non-blank screenshot (default 50)
#   SMOKE_WINDOW_TIMEOUT seconds to wait for the window (default 60)
#   SMOKE_PAINT_TIMEOUT  seconds to wait for a painted, stable frame (default 20)
#   SMOKE_LANGUAGE       LANGUAGE for the app (default en_US)
#   SMOKE_SEED           if set, a prompt: before the window opens, the data dir
#                        gets the Simulator as default provider and one chat
#                        answering that prompt (through the real CLI)
#   SMOKE_SETUP          if set, deskchat CLI arguments run before the window
#                        opens, one command per ';' (e.g. "providers default Simulator")
#   SMOKE_PREPARE        if set, a shell command run before the window opens with
#                        SMOKE_DATA_DIR set to the app's data dir (e.g. a history
#                        generator)
#   SMOKE_VIA_WINDOW     if 1, once the window has painted: "deskchat list" and
#                        "deskchat ask" (Simulator) run beside it, through it
#                        (without a display of their own), and a second
#                        "deskchat" raises the window and exits 0
#   DESKCHAT_SCENE, FYNE_THEME are passed to the app (a binary built with the
#                        screenshots tag stages the scene: ui/scene.go)
#
# Requires: Xvfb xdpyinfo (x11-utils) xdotool import/identify (imagemagick)
# and Mesa software GL (libgl1-mesa-dri); `make deps-test` installs them.
set -euo pipefail

die() {
	echo "smoke: FAIL: $*" >&2
	exit 1
}

bin=${DESKCHAT_BIN:-./deskchat}
[ -x "$bin" ] || die "binary '$bin' not found or not executable (run 'make build' or set DESKCHAT_BIN)"
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

out=${SMOKE_OUT:-screenshots/smoke.png}
name=${SMOKE_WINDOW_NAME:-deskchat}
min_colors=${SMOKE_MIN_COLORS:-50}
window_timeout=${SMOKE_WINDOW_TIMEOUT:-60}
paint_timeout=${SMOKE_PAINT_TIMEOUT:-20}
extra=()
if [ -n "${SMOKE_ARGS:-}" ]; then
	read -r -a extra <<<"$SMOKE_ARGS"
fi

for tool in Xvfb xdpyinfo xdotool import identify timeout; do
	command -v "$tool" >/dev/null 2>&1 || die "'$tool' not installed (run 'make deps-test')"
done

# guard (children die with this script), stop PID, xvfb_start LOG.
# shellcheck source=scripts/xvfb-lib.sh
. "$repo/scripts/xvfb-lib.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/deskchat-smoke.XXXXXX")
app_pid=""

clean_up_on_exit 30

# --- No display: one sentence, exit 1 (never a GLFW panic). ---
nd_rc=0
env -u DISPLAY -u WAYLAND_DISPLAY "$bin" --data-dir "$work/nodisplay" >"$work/nodisplay.out" 2>&1 || nd_rc=$?
[ "$nd_rc" -eq 1 ] || die "without a display deskchat exited $nd_rc, want 1: $(head -c 300 "$work/nodisplay.out")"
nd_want='deskchat needs a graphical session; for the command line see `deskchat --help`.'
[ "$(cat "$work/nodisplay.out")" = "$nd_want" ] || die "without a display deskchat said: $(head -c 300 "$work/nodisplay.out")"

# --- Xvfb: take the first free display from :99 upward. ---
xvfb_start "$work/xvfb.log" || die "could not start Xvfb on any display :99-:130"
echo "smoke: Xvfb ready on $display"

# --- Start deskchat with a throw-away data dir and config dir. ---
# LIBGL_ALWAYS_SOFTWARE: Mesa llvmpipe (Xvfb has no GPU). LANGUAGE: stable UI
# language (Fyne logs "Error parsing user locale C" under LANG=C.UTF-8).
mkdir -p "$work/data" "$work/config"
if [ -n "${SMOKE_SETUP:-}" ]; then
	IFS=';' read -r -a setup_cmds <<<"$SMOKE_SETUP"
	for c in "${setup_cmds[@]}"; do
		read -r -a args <<<"$c"
		[ "${#args[@]}" -gt 0 ] || continue
		"$bin" --data-dir "$work/data" "${args[@]}" >/dev/null || die "setup command failed: deskchat $c"
	done
fi
if [ -n "${SMOKE_PREPARE:-}" ]; then
	SMOKE_DATA_DIR="$work/data" bash -c "$SMOKE_PREPARE" >/dev/null || die "SMOKE_PREPARE failed: $SMOKE_PREPARE"
fi
if [ -n "${SMOKE_SEED:-}" ]; then
	"$bin" --data-dir "$work/data" providers default Simulator >/dev/null ||
		die "could not make the Simulator the default provider"
	"$bin" ask --data-dir "$work/data" --provider Simulator "$SMOKE_SEED" >/dev/null ||
		die "could not seed a chat with 'deskchat ask'"
fi
DISPLAY=$display LIBGL_ALWAYS_SOFTWARE=1 XDG_CONFIG_HOME="$work/config" \
	LANGUAGE="${SMOKE_LANGUAGE:-en_US}" \
	${guard[@]+"${guard[@]}"} "$bin" --data-dir "$work/data" ${extra[@]+"${extra[@]}"} >"$work/deskchat.log" 2>&1 &
app_pid=$!
echo "smoke: started $bin (pid $app_pid)"

# --- Wait for a visible window; fail fast if the app exits. ---
wid=""
deadline=$((SECONDS + window_timeout))
while [ "$SECONDS" -lt "$deadline" ]; do
	kill -0 "$app_pid" 2>/dev/null || die "deskchat exited before showing a window"
	if wid=$(DISPLAY=$display timeout 2 xdotool search --sync --onlyvisible --name "$name" 2>/dev/null | head -n 1) && [ -n "$wid" ]; then
		break
	fi
	wid=""
done
[ -n "$wid" ] || die "no visible window matching '$name' within ${window_timeout}s"
echo "smoke: window $wid: $(DISPLAY=$display xdotool getwindowname "$wid" 2>/dev/null || true)"

# --- Wait for first paint: enough colours and two identical frames in a row. ---
shot="$work/shot.png"
colors=0
prev_sig=""
ok=""
deadline=$((SECONDS + paint_timeout))
while [ "$SECONDS" -lt "$deadline" ]; do
	kill -0 "$app_pid" 2>/dev/null || die "deskchat exited while waiting for first paint"
	if DISPLAY=$display timeout 10 import -window root "$shot" 2>/dev/null; then
		read -r colors sig < <(identify -format '%k %#\n' "$shot" 2>/dev/null || echo "0 -")
		if [ "$colors" -gt "$min_colors" ]; then
			if [ "$sig" = "$prev_sig" ]; then
				ok=1
				break
			fi
			ok=partial
		fi
		prev_sig=$sig
	fi
	sleep 0.5
done
[ -s "$shot" ] || die "could not take a screenshot of $display"
kill -0 "$app_pid" 2>/dev/null || die "deskchat exited while waiting for first paint"

mkdir -p "$(dirname "$out")"
cp "$shot" "$out"
case "$ok" in
1) ;;
partial) echo "smoke: warning: frame not stable after ${paint_timeout}s; keeping last frame" >&2 ;;
*) die "screenshot looks blank ($colors unique colours, need > $min_colors): $out" ;;
esac

if grep -qE 'Fyne error|Error in Fyne call thread|panic:|WARNING: DATA RACE' "$work/deskchat.log"; then
	echo "smoke: warning: deskchat logged errors:" >&2
	grep -E -A2 'Fyne error|Error in Fyne call thread|panic:|WARNING: DATA RACE' "$work/deskchat.log" | head -n 30 >&2
fi
# --- The command line beside the open window runs through it (package remote). ---
if [ "${SMOKE_VIA_WINDOW:-}" = 1 ]; then
	[ -S "$work/data/deskchat.sock" ] || die "the window serves no socket at $work/data/deskchat.sock"
	# No display: a command that opened a window or the history itself would fail.
	cli=(env -u DISPLAY -u WAYLAND_DISPLAY "$bin" --data-dir "$work/data")
	"${cli[@]}" list >"$work/via-list.out" 2>&1 || die "deskchat list beside the window failed: $(head -c 300 "$work/via-list.out")"
	"${cli[@]}" ask --provider Simulator "What does the window serve?" >"$work/via-ask.out" 2>"$work/via-ask.err" ||
		die "deskchat ask beside the window failed: $(head -c 300 "$work/via-ask.err")"
	[ -s "$work/via-ask.out" ] || die "deskchat ask beside the window printed no answer"
	"${cli[@]}" list >"$work/via-list2.out" 2>&1 || true
	grep -q "What does the window serve" "$work/via-list2.out" ||
		die "the chat asked through the window is not listed; list said: $(head -c 600 "$work/via-list2.out"); ask said: $(head -c 300 "$work/via-ask.err")"
	# Export and import while the window is open, with paths relative to
	# the caller's folder (the window resolves them there): a chat of
	# another history comes in.
	(cd "$work" && "${cli[@]}" export --out via-export.json) >"$work/via-export.err" 2>&1 ||
		die "deskchat export beside the window failed: $(head -c 300 "$work/via-export.err")"
	[ -s "$work/via-export.json" ] || die "the export through the window wrote nothing where it was asked to"
	env -u DISPLAY "$bin" --data-dir "$work/other" ask --provider Simulator "Brought in from elsewhere" >/dev/null 2>&1 ||
		die "could not write a chat in another history"
	env -u DISPLAY "$bin" --data-dir "$work/other" export --out "$work/other.json" >/dev/null 2>&1 || die "could not export the other history"
	(cd "$work" && "${cli[@]}" import other.json) >"$work/via-import.err" 2>&1 ||
		die "deskchat import beside the window failed: $(head -c 300 "$work/via-import.err")"
	"${cli[@]}" list >"$work/via-list3.out" 2>&1 || true
	grep -q "Brought in from elsewhere" "$work/via-list3.out" ||
		die "the chat imported through the window is not listed; list said: $(head -c 600 "$work/via-list3.out")"
	# Another user gets nothing: not the socket, not the history (run as
	# root, the smoke can be "nobody" for one command).
	if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1; then
		other_rc=0
		env -u DISPLAY setpriv --reuid 65534 --regid 65534 --clear-groups "$bin" --data-dir "$work/data" list >"$work/via-other.out" 2>&1 || other_rc=$?
		[ "$other_rc" -ne 0 ] || die "another user listed the chats beside the window: $(head -c 300 "$work/via-other.out")"
		grep -q "What does the window serve" "$work/via-other.out" && die "another user saw a chat"
		grep -qE 'goroutine|panic' "$work/via-other.out" && die "another user got a Go error dump: $(head -c 300 "$work/via-other.out")"
		kill -0 "$app_pid" 2>/dev/null || die "the window exited after another user's command"
		echo "smoke: another user was refused: $(head -n 1 "$work/via-other.out")"
	fi
	"${cli[@]}" check >"$work/via-check.out" 2>&1 && die "deskchat check ran beside the window (it opens the file itself)"
	grep -q "window" "$work/via-check.out" || die "check beside the window did not say why: $(head -c 300 "$work/via-check.out")"
	"${cli[@]}" >"$work/via-second.out" 2>&1 || die "a second deskchat did not exit 0: $(head -c 300 "$work/via-second.out")"
	kill -0 "$app_pid" 2>/dev/null || die "the window exited after the commands run through it"
	echo "smoke: list, ask and a second deskchat ran through the window"
fi

# --- SIGTERM ends deskchat within 2 s (main.go's quitGrace), busy or not. ---
term_start=$(date +%s%N)
kill -TERM "$app_pid" 2>/dev/null || die "deskchat was gone before SIGTERM"
for _ in $(seq 40); do
	kill -0 "$app_pid" 2>/dev/null || break
	sleep 0.05
done
kill -0 "$app_pid" 2>/dev/null && die "deskchat still runs 2 s after SIGTERM"
wait "$app_pid" 2>/dev/null || true
echo "smoke: exited $(( ($(date +%s%N) - term_start) / 1000000 )) ms after SIGTERM"
app_pid=""
if [ "${SMOKE_VIA_WINDOW:-}" = 1 ] && [ -e "$work/data/deskchat.sock" ]; then
	die "the window left its socket behind"
fi

# --- A window killed with SIGKILL leaves a stale socket: the command line
# then opens the history itself, and the next window replaces the socket. ---
if [ "${SMOKE_VIA_WINDOW:-}" = 1 ]; then
	# start_again starts the window and waits until it serves a socket
	# other than the one there was (none, or a stale one: made at another time).
	start_again() {
		local was
		was=$(stat -c '%i %z' "$work/data/deskchat.sock" 2>/dev/null || echo none)
		DISPLAY=$display LIBGL_ALWAYS_SOFTWARE=1 XDG_CONFIG_HOME="$work/config" LANGUAGE="${SMOKE_LANGUAGE:-en_US}" \
			${guard[@]+"${guard[@]}"} "$bin" --data-dir "$work/data" >>"$work/deskchat.log" 2>&1 &
		app_pid=$!
		for _ in $(seq 600); do
			[ -S "$work/data/deskchat.sock" ] && [ "$(stat -c '%i %z' "$work/data/deskchat.sock")" != "$was" ] && return 0
			kill -0 "$app_pid" 2>/dev/null || die "deskchat exited before serving its socket"
			sleep 0.1
		done
		die "the window served no socket within 60 s"
	}
	start_again
	kill -KILL "$app_pid"
	wait "$app_pid" 2>/dev/null || true
	[ -S "$work/data/deskchat.sock" ] || die "a killed window left no socket (nothing stale to test)"
	"${cli[@]}" list >"$work/stale-list.out" 2>&1 || die "deskchat list after a killed window failed: $(head -c 300 "$work/stale-list.out")"
	grep -q "What does the window serve" "$work/stale-list.out" || die "deskchat list after a killed window lost the chats"
	start_again # replaces the stale socket
	"${cli[@]}" check >"$work/via-check2.out" 2>&1 && die "the window started after a killed one does not serve the command line"
	kill -TERM "$app_pid"
	wait "$app_pid" 2>/dev/null || true
	app_pid=""
	echo "smoke: a killed window's stale socket: the command line opened the history itself; the next window served it"
fi

echo "smoke: OK ($colors unique colours)"
echo "smoke: screenshot: $repo/${out#./}"
