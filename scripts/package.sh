#!/usr/bin/env bash
# package.sh — build the release binary and the Linux bundle, then check them:
#
#   dist/deskchat         stripped (-s -w), built with the Makefile's tags (migrated_fynedo, no_animations)
#   dist/deskchat.tar.xz  `fyne package -os linux`: the binary, the .desktop
#                         file, the icon and a Makefile (install, uninstall,
#                         user-install, user-uninstall)
#
# The checks: the binary has no symbol table; the tarball holds the binary,
# the .desktop file (Exec, Icon) and the icon; and the tarball's
# `make user-install` and `make install` (into a temporary HOME and DESTDIR),
# the installed binary running a command, and the uninstall targets work.
#
# The fyne tool (fyne.io/tools/cmd/fyne at FYNE_TOOLS_VERSION) is installed
# from the Go module proxy into .bin/ when missing. `fyne package` rewrites
# FyneApp.toml (it counts the build up), so it runs on a copy.
#
# Environment:
#   GO                    go command (default go)
#   FYNE_TOOLS_VERSION    fyne.io/tools version (default v1.7.4)
#   PACKAGE_OUT           output folder (default dist)
#   PACKAGE_CHECK_INSTALL 0 skips the install check (default 1)
set -euo pipefail

die() {
	echo "package: FAIL: $*" >&2
	exit 1
}
say() { echo "package: $*"; }

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

go_cmd=${GO:-go}
fyne_version=${FYNE_TOOLS_VERSION:-v1.7.4}
out=${PACKAGE_OUT:-dist}
mkdir -p "$out"
out=$(cd "$out" && pwd)
for tool in "$go_cmd" tar xz make install sed; do
	command -v "$tool" >/dev/null 2>&1 || die "'$tool' not installed"
done

# FyneApp.toml: [Details] Name (the tarball's and the binary's name) and ID
# (the .desktop file's and the icon's name).
detail() { awk -F'"' -v k="$1" '$1 ~ "^[ \t]*" k "[ \t]*=[ \t]*$" { print $2; exit }' FyneApp.toml; }
name=$(detail Name)
app_id=$(detail ID)
icon=$(detail Icon)
if [ -z "$name" ] || [ -z "$app_id" ] || [ -z "$icon" ]; then
	die "FyneApp.toml lacks Name, ID or Icon in [Details]"
fi
[ -f "$icon" ] || die "the icon $icon (FyneApp.toml) is missing"

work=$(mktemp -d "${TMPDIR:-/tmp}/deskchat-package.XXXXXX")
cleanup() {
	local rc=$?
	rm -rf "$work" "$out/tmp-pkg"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- The fyne tool. ---
fyne=$repo/.bin/fyne
have=$("$fyne" version 2>/dev/null || true)
if [[ $'\n'$have$'\n' != *$'\n'"fyne cli version: $fyne_version"$'\n'* ]]; then
	say "installing fyne.io/tools/cmd/fyne@$fyne_version into .bin/"
	GOBIN=$repo/.bin GOFLAGS='' "$go_cmd" install "fyne.io/tools/cmd/fyne@$fyne_version" ||
		die "could not install fyne.io/tools/cmd/fyne@$fyne_version from the module proxy"
fi

# --- The stripped binary. ---
say "building $out/$name (stripped)"
rm -f "$out/$name" "$out/$name.tar.xz"
# The version and commit `deskchat --version` prints, as make build stamps them.
version=$(git describe --always --dirty 2>/dev/null || true)
commit=$(git rev-parse HEAD 2>/dev/null || true)
"$go_cmd" build -trimpath -tags "${TAGS:-migrated_fynedo,no_animations}" \
	-ldflags "-s -w -X main.version=$version -X main.commit=$commit" -o "$out/$name" . || die "go build failed"
if "$go_cmd" tool nm "$out/$name" >/dev/null 2>&1; then
	die "$out/$name still has its symbol table (not stripped)"
fi

# --- The bundle, from a copy of FyneApp.toml and the icon. ---
stage=$work/src
mkdir -p "$stage/$(dirname "$icon")"
cp FyneApp.toml "$stage/"
cp "$icon" "$stage/$icon"
printf 'package main\n\nfunc main() {}\n' >"$stage/main.go" # fyne package wants Go code in --src
rm -rf "$out/tmp-pkg"
say "fyne package -os linux"
(cd "$out" && "$fyne" package -os linux --release --src "$stage" --exe "$out/$name") ||
	die "fyne package failed"
tarball=$out/$name.tar.xz
[ -s "$tarball" ] || die "fyne package made no $tarball"

# --- Check the tarball's contents. ---
tar -tJf "$tarball" >"$work/list" || die "cannot list $tarball"
prefix="$name/usr/(local/)?"
missing=()
for want in "${prefix}bin/$name" "${prefix}share/applications/$app_id\.desktop" "${prefix}share/pixmaps/$app_id\.png" "$name/Makefile"; do
	grep -Eq "^(\./)?$want\$" "$work/list" || missing+=("$want")
done
if [ "${#missing[@]}" -gt 0 ]; then
	echo "---- $tarball holds ----" >&2
	cat "$work/list" >&2
	die "$tarball lacks: ${missing[*]//\\/}"
fi
tar -xJf "$tarball" -C "$work" || die "cannot extract $tarball"
pkg=$work/$name
desktop=$(find "$pkg/usr" -name "$app_id.desktop" | head -n 1)
grep -qx "Exec=$name" "$desktop" || die "the .desktop file does not run $name: $(grep '^Exec' "$desktop")"
grep -qx "Icon=$app_id" "$desktop" || die "the .desktop file does not name the icon $app_id: $(grep '^Icon' "$desktop")"
if command -v desktop-file-validate >/dev/null 2>&1; then
	desktop-file-validate "$desktop" || die "desktop-file-validate rejects the .desktop file"
fi
cmp -s "$(find "$pkg/usr" -path "*/bin/$name")" "$out/$name" || die "the tarball's binary is not $out/$name"

# --- Install it as the README says, into a temporary HOME and DESTDIR. ---
if [ "${PACKAGE_CHECK_INSTALL:-1}" != 0 ]; then
	home=$work/home
	root=$work/root
	mkdir -p "$home" "$root/usr/local"
	submake() { env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make --no-print-directory -C "$pkg" "$@" >"$work/make.log" 2>&1 || {
		cat "$work/make.log" >&2
		die "'make $*' from the tarball failed"
	}; }
	submake user-install HOME="$home"
	for f in ".local/bin/$name" ".local/share/applications/$app_id.desktop" ".local/share/icons/$app_id.png"; do
		[ -s "$home/$f" ] || die "make user-install did not install ~/$f"
	done
	grep -qx "Exec=$home/.local/bin/$name" "$home/.local/share/applications/$app_id.desktop" ||
		die "after make user-install the .desktop file does not run ~/.local/bin/$name"
	# An empty history folder: reading commands refuse one that does not exist.
	mkdir -p "$work/data"
	HOME=$home "$home/.local/bin/$name" --data-dir "$work/data" list >/dev/null ||
		die "the installed $name does not run ('$name list' failed)"
	HOME=$home "$home/.local/bin/$name" --version | grep -q "^commit [0-9a-f]" ||
		die "the installed $name does not say its commit ('$name --version')"
	submake user-uninstall HOME="$home"
	[ -z "$(find "$home/.local" -type f)" ] || die "make user-uninstall left: $(find "$home/.local" -type f)"

	submake install DESTDIR="$root"
	for f in "bin/$name" "share/applications/$app_id.desktop" "share/pixmaps/$app_id.png"; do
		[ -s "$root/usr/local/$f" ] || die "sudo make install would not install /usr/local/$f"
	done
	submake uninstall DESTDIR="$root"
	[ -z "$(find "$root" -type f)" ] || die "make uninstall left: $(find "$root" -type f)"
	say "make user-install / install / uninstall from the tarball: OK"
fi

say "OK"
sed 's/^/  /' "$work/list"
du -h "$out/$name" "$tarball" | sed 's/^/  /'
