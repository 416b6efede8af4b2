#!/usr/bin/env bash
# lint.sh — make lint: go vet, staticcheck and the size limits, each failing
# the run.
#
#   gofmt -l            every tracked Go file as gofmt writes it
#   go vet ./...        the compiler's own checks
#   staticcheck ./...   the checks staticcheck.conf chooses (why each one off
#                       is off is written there)
#   scripts/limits      no non-test file over 900 lines, no function over 120
#
# staticcheck (honnef.co/go/tools at STATICCHECK_VERSION) is installed from
# the Go module proxy into .bin/ when missing or of another version, as
# package.sh installs the fyne tool: pinned, so that every machine judges
# the code by the same checks.
#
# Known findings that wait for files other engineers are changing are listed
# in scripts/lint-known.txt (staticcheck) and scripts/limits/allow.txt (size),
# each with its reason. A listed finding that is gone fails the run too, so
# that the lists are emptied rather than kept.
#
# Environment:
#   GO                   go command (default go)
#   STATICCHECK_VERSION  honnef.co/go/tools version (default v0.8.2, staticcheck 2026.2.2)
#   SHOTS_TAGS           build tags of the screenshots build (make lint passes
#                        them); when set, ui/ and main are checked with them too,
#                        so that the scenes behind the screenshots tag are judged
set -euo pipefail

die() {
	echo "lint: FAIL: $*" >&2
	exit 1
}

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

go_cmd=${GO:-go}
version=${STATICCHECK_VERSION:-v0.8.2}
staticcheck=$repo/.bin/staticcheck

# staticcheck -version prints e.g. "staticcheck 2026.2.2 (0.8.2)".
if ! [ -x "$staticcheck" ] || ! "$staticcheck" -version 2>/dev/null | grep -qF "(${version#v})"; then
	echo "lint: installing staticcheck $version into .bin/"
	GOBIN="$repo/.bin" "$go_cmd" install "honnef.co/go/tools/cmd/staticcheck@$version" ||
		die "could not install honnef.co/go/tools/cmd/staticcheck@$version"
fi

unformatted=$(git ls-files -z '*.go' | xargs -0 "$("$go_cmd" env GOROOT)/bin/gofmt" -l)
[ -z "$unformatted" ] || die "gofmt would change: $unformatted (run gofmt -w on them)"
"$go_cmd" vet ./... || die "go vet found problems (above)"
if [ -n "${SHOTS_TAGS:-}" ]; then
	"$go_cmd" vet -tags "$SHOTS_TAGS" ./ui/... . || die "go vet found problems in the screenshots build (above)"
fi

# Findings look like "path:line:col: message (CODE)"; one is known when its
# path and code are listed in lint-known.txt ("path CODE # reason").
found=$("$staticcheck" ./... 2>&1) || true
if [ -n "${SHOTS_TAGS:-}" ]; then
	found+=$'\n'$("$staticcheck" -tags "$SHOTS_TAGS" ./ui/... . 2>&1) || true
fi
known=scripts/lint-known.txt
problems=$(awk -v known="$known" '
	BEGIN {
		while ((getline line < known) > 0) {
			sub(/#.*/, "", line)
			if (split(line, f, " ") == 2) { allow[f[1] " " f[2]] = 0 }
		}
	}
	# A finding may go on over lines that start with a tab (a suggested
	# rewrite); its code ends its last line.
	function flush(   code, path) {
		if (rec == "") return
		code = ""
		if (match(rec, /\(([A-Z]+[0-9]+)\)$/)) { code = substr(rec, RSTART + 1, RLENGTH - 2) }
		path = rec; sub(/:.*/, "", path)
		if ((path " " code) in allow) { allow[path " " code]++ } else { print rec }
		rec = ""
	}
	/^[ \t]/ && rec != "" { rec = rec "\n" $0; next }
	NF { flush(); rec = $0 }
	END {
		flush()
		for (k in allow) if (allow[k] == 0) print k ": listed in " known " but no longer found: remove it from the list"
	}
' <<<"$found")
if [ -n "$problems" ]; then
	echo "$problems" >&2
	die "staticcheck found problems (above)"
fi

"$go_cmd" run ./scripts/limits || die "a file or a function is over the size limits (above)"
echo "lint: ok"
