#!/usr/bin/env bash
# images-window.sh — the real window fetches no image by itself. A chat full
# of remote images (paragraphs, lists, a table, a quote, a reference, raw
# HTML, links) pointing at a local counting server (scripts/countserver) is
# imported, the window opens on it under Xvfb and is scrolled up and down,
# a screenshot goes to screenshots/images.png, and the server must have
# counted 0 requests.
#
# Environment: DESKCHAT_BIN (default ./deskchat), IMAGES_OUT (default
# screenshots/images.png), FYNE_THEME (default light).
# Requires what scripts/smoke.sh does (`make deps-test`) and go.
set -euo pipefail

die() {
	echo "images-window: FAIL: $*" >&2
	exit 1
}

bin=${DESKCHAT_BIN:-./deskchat}
[ -x "$bin" ] || die "binary '$bin' not found or not executable (run 'make build')"
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
out=${IMAGES_OUT:-screenshots/images.png}
for tool in Xvfb xdpyinfo xdotool import identify timeout go; do
	command -v "$tool" >/dev/null 2>&1 || die "'$tool' not installed (run 'make deps-test')"
done

# shellcheck source=scripts/xvfb-lib.sh
. "$repo/scripts/xvfb-lib.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/deskchat-images.XXXXXX")
app_pid=""
server_pid=""
clean_up_on_exit 30
trap 'rc=$?; stop "$server_pid"; (exit $rc); _clean_up' EXIT

# --- The counting image host, on a free port of 127.0.0.1. ---
go build -o "$work/countserver" ./scripts/countserver
${guard[@]+"${guard[@]}"} "$work/countserver" -addr-file "$work/addr" -hits-file "$work/hits" -chat "$work/chat.json" 2>"$work/countserver.log" &
server_pid=$!
for _ in $(seq 100); do
	[ -s "$work/addr" ] && break
	kill -0 "$server_pid" 2>/dev/null || die "countserver exited: $(cat "$work/countserver.log")"
	sleep 0.1
done
[ -s "$work/addr" ] || die "countserver did not start"
web=$(cat "$work/addr")
echo "images-window: image host $web"

# --- A chat whose answers are full of images (written by countserver),
# imported through the CLI. ---
mkdir -p "$work/data" "$work/config"
"$bin" --data-dir "$work/data" import "$work/chat.json" >/dev/null || die "deskchat import failed"
"$bin" --data-dir "$work/data" providers default Simulator >/dev/null || die "could not make the Simulator the default provider"
id=$("$bin" --data-dir "$work/data" list --json | grep -o '"id": *"[^"]*"' | head -n 1 | sed 's/.*"\([^"]*\)"$/\1/')
[ -n "$id" ] || die "the imported chat is not listed"

# --- The window on that chat. ---
xvfb_start "$work/xvfb.log" || die "could not start Xvfb on any display :99-:130"
DISPLAY=$display LIBGL_ALWAYS_SOFTWARE=1 XDG_CONFIG_HOME="$work/config" LANGUAGE=en_US \
	FYNE_THEME="${FYNE_THEME:-light}" DESKCHAT_OPEN="$id" DESKCHAT_READY_FILE="$work/ready" \
	${guard[@]+"${guard[@]}"} "$bin" --data-dir "$work/data" >"$work/deskchat.log" 2>&1 &
app_pid=$!
for _ in $(seq 600); do
	[ -s "$work/ready" ] && break
	kill -0 "$app_pid" 2>/dev/null || die "deskchat exited before showing the chat"
	sleep 0.1
done
[ -s "$work/ready" ] || die "the window did not show the chat within 60 s"
wid=$(DISPLAY=$display timeout 10 xdotool search --sync --onlyvisible --name deskchat | head -n 1)
[ -n "$wid" ] || die "no visible deskchat window"

# Scroll the chat up and down (the wheel over the chat pane), as a reader does.
DISPLAY=$display xdotool mousemove --window "$wid" 700 400
for _ in 1 2 3; do
	DISPLAY=$display xdotool click --repeat 15 --delay 20 4
	DISPLAY=$display xdotool click --repeat 15 --delay 20 5
done
# Then back to the top, where the chat begins, for the screenshot.
DISPLAY=$display xdotool click --repeat 150 --delay 5 4
sleep 1
mkdir -p "$(dirname "$out")"
DISPLAY=$display timeout 10 import -window root "$out" || die "could not take a screenshot"
kill -0 "$app_pid" 2>/dev/null || die "deskchat exited while scrolled"

kill -0 "$server_pid" 2>/dev/null || die "countserver exited: $(cat "$work/countserver.log")"
hits=$(cat "$work/hits")
if [ "$hits" != 0 ]; then
	cat "$work/countserver.log" >&2
	die "the window fetched $hits images by itself"
fi
if grep -qE 'panic:|WARNING: DATA RACE|Failed to open image' "$work/deskchat.log"; then
	grep -E -A2 'panic:|WARNING: DATA RACE|Failed to open image' "$work/deskchat.log" | head -n 20 >&2
	die "deskchat logged errors"
fi
echo "images-window: OK (0 image requests; screenshot $repo/${out#./})"
