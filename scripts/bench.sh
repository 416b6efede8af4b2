#!/usr/bin/env bash
# bench.sh — run Go benchmarks, save the raw output to bench.out, and print a
# summary line "BENCH NAME VALUE UNIT" for every custom metric reported with
# b.ReportMetric(value, "NAME@UNIT") (last value wins if a NAME repeats).
#
# Environment:
#   BENCHTIME   -benchtime value (default 1x)
#   BENCH_PKGS  packages to benchmark (default ./..., word-split)
#   BENCH_FLAGS extra go test flags (word-split), e.g. "-benchmem -count=3"
#   BENCH_OUT   raw output file (default bench.out in the repo root)
#   GO          go command (default go)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

go_cmd=${GO:-go}
out=${BENCH_OUT:-bench.out}
read -r -a pkgs <<<"${BENCH_PKGS:-./...}"
flags=()
if [ -n "${BENCH_FLAGS:-}" ]; then
	read -r -a flags <<<"$BENCH_FLAGS"
fi

rc=0
"$go_cmd" test -run '^$' -bench . -benchtime "${BENCHTIME:-1x}" ${flags[@]+"${flags[@]}"} "${pkgs[@]}" 2>&1 | tee "$out" || rc=$?

echo
echo "== benchmark metrics (NAME@UNIT) from $out =="
# Result lines are "BenchmarkX-N  <iters>  <v> <unit>  <v> <unit> ..."; when a
# benchmark logs, the figures can land on a line that starts with <iters>.
awk '
	$1 ~ /^Benchmark/ || $1 ~ /^[0-9]+$/ {
		for (i = 2; i <= NF; i++) {
			at = index($i, "@")
			if (at > 1 && at < length($i) && $(i - 1) ~ /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/) {
				name = substr($i, 1, at - 1)
				if (!(name in val)) order[++n] = name
				val[name] = $(i - 1)
				unit[name] = substr($i, at + 1)
			}
		}
	}
	END {
		for (k = 1; k <= n; k++) printf "BENCH %s %s %s\n", order[k], val[order[k]], unit[order[k]]
		if (n == 0) print "(no NAME@UNIT metrics found)"
	}
' "$out"

if [ "$rc" -ne 0 ]; then
	echo "bench: go test failed (exit $rc)" >&2
fi
exit "$rc"
