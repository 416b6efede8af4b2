#!/usr/bin/env bash
# cjk-window.sh — screenshots of Chinese, Japanese and Korean markdown in the
# real window under Xvfb, in the light and the dark theme (scripts/smoke.sh
# takes each): a chat of headings, bold and lists (screenshots/cjk-text*.png;
# "通过杠杆原理和滑轮组" shows without a gap) and one of a table and
# highlighted code (screenshots/cjk-code*.png). The chats are written by
# scripts/gen-cjk.
#
# Environment: DESKCHAT_BIN (default ./deskchat), GO (default go),
# CJK_SHOTS (default "text:light code:dark text:dark code:light").
#
# Requires a CJK font (fonts-noto-cjk: `make deps-test` installs it); without
# one the window would show boxes and a bar naming the package, which is not
# what these screenshots are for.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
bin=${DESKCHAT_BIN:-./deskchat}
go_cmd=${GO:-go}

if ! find /usr/share/fonts /usr/local/share/fonts -name 'NotoSansCJK-Regular.ttc' 2>/dev/null | grep -q .; then
	echo "cjk-window: FAIL: no Noto Sans CJK font; install fonts-noto-cjk (make deps-test)" >&2
	exit 1
fi

gen=$(mktemp "${TMPDIR:-/tmp}/gen-cjk.XXXXXX")
trap 'rm -f "$gen"' EXIT
"$go_cmd" build -o "$gen" ./scripts/gen-cjk

for shot in ${CJK_SHOTS:-text:light code:dark text:dark code:light}; do
	chat=${shot%%:*} variant=${shot##*:}
	out=screenshots/cjk-$chat.png
	[ "$variant" = dark ] && out=screenshots/cjk-$chat-dark.png
	DESKCHAT_BIN=$bin SMOKE_OUT=$out FYNE_THEME=$variant \
		SMOKE_PREPARE="'$gen' -dir \"\$SMOKE_DATA_DIR\" -only $chat" bash scripts/smoke.sh
done
