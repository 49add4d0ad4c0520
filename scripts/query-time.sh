#!/usr/bin/env bash
# CPU time of `gloss define` run once per query of tests/relevance.tsv on the shipped notes
# (release binary, index built beforehand, so only queries are timed).
# usage: scripts/query-time.sh [path/to/gloss] [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-$(ls -t target/*/release/gloss target/release/gloss 2>/dev/null | head -1)}
rounds=${2:-3}
idx=$(mktemp -d)
trap 'rm -rf "$idx"' EXIT
"$bin" --content content --index "$idx" index >/dev/null 2>&1
mapfile -t queries < <(grep -v '^#' tests/relevance.tsv | tail -n +2 | cut -f1)
for r in $(seq "$rounds"); do
  start=$(awk '{print $14+$15+$16+$17}' /proc/$$/stat)
  ( for q in "${queries[@]}"; do "$bin" --content content --index "$idx" define "$q" >/dev/null 2>&1 || true; done )
  # children's user+sys CPU, in clock ticks, of this shell
  end=$(awk '{print $14+$15+$16+$17}' /proc/$$/stat)
  ticks=$(getconf CLK_TCK)
  echo "round $r: ${#queries[@]} queries, CPU $(echo "scale=3; ($end-$start)/$ticks" | bc) s"
done
