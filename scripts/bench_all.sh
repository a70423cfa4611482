#!/usr/bin/env bash
# The main job: set-up and build, run bench_all (arguments pass through; the
# default run takes about seven minutes on 2 vCPUs), then draw the figures and
# rewrite REPORT.md's generated sections from the new run.
#   scripts/bench_all.sh                  # default run into results/
#   scripts/bench_all.sh --quick          # smoke run, well under a minute
#   scripts/bench_all.sh --help           # bench_all's flags
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh >&2
bin=build/release/harness/bench_all

for a in "$@"; do
  case "$a" in
    --help|-help|--helpfull|--list|-list) exec "$bin" "$@" ;;
  esac
done

out=results
for a in "$@"; do
  case "$a" in --out=*) out="${a#--out=}" ;; esac
done

# The run's folder is the one that appears under $out while bench_all runs.
before=$(mktemp)
trap 'rm -f "$before"' EXIT
ls -1 "$out" 2>/dev/null | sort >"$before" || true
status=0
"$bin" "$@" || status=$?
run=$(ls -1 "$out" 2>/dev/null | sort | comm -13 "$before" - | tail -n 1)
if [ -z "$run" ]; then
  exit "$status"   # bad flags: bench_all said why, and wrote nothing
fi
/usr/bin/python3 scripts/plot.py "$out/$run"
/usr/bin/python3 scripts/report.py --init "$out/$run" REPORT.md
echo "results: $out/$run  figures: $out/$run/figures  report: REPORT.md" >&2
exit "$status"
