#!/usr/bin/env bash
# apt-ensure.sh PKG... — install the given Debian packages if missing.
#
# Each package is checked with dpkg-query; apt-get update and apt-get install
# run only when at least one is missing. Uses sudo when not root (if present).
set -euo pipefail

if [ "$#" -eq 0 ]; then
	echo "usage: $0 PKG..." >&2
	exit 2
fi

missing=()
for pkg in "$@"; do
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
	case "$status" in
	*"install ok installed"*) ;;
	*) missing+=("$pkg") ;;
	esac
done

if [ "${#missing[@]}" -eq 0 ]; then
	echo "apt-ensure: all ${#} packages present"
	exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
	echo "apt-ensure: missing packages (${missing[*]}) and apt-get is not available; install them manually" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# "env VAR=..." passes the setting through sudo's env_reset.
run=(env DEBIAN_FRONTEND=noninteractive)
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		run=(sudo env DEBIAN_FRONTEND=noninteractive)
	else
		echo "apt-ensure: missing packages (${missing[*]}); not root and sudo not found" >&2
		exit 1
	fi
fi

echo "apt-ensure: installing ${missing[*]}"
"${run[@]}" apt-get update
"${run[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
