#!/usr/bin/env bash
# Benchmark: the audit against the parse floor (`--parse-only`: same discovery and reading, then
# `syn::parse_file` on every file in parallel, nothing else) on a generated corpus.
#
#   scripts/bench.sh                      # default corpus: ~600k lines in ~1,500 files
#   LINES=200000 FILES=500 scripts/bench.sh
#
# Env: LINES, FILES, SEED (corpus), SMALL_LINES (changed-files corpus, 100000), RUNS (hyperfine
# runs, 10), CARGO_TARGET_DIR (build dir, default target/), BENCH_DIR (corpora, default
# $CARGO_TARGET_DIR/bench). Targets (docs/performance.md): ratio <= 1.5, peak RSS <= 150 MB,
# changed-files <= 0.3 s. Prints the figures; not a test (CI asserts no wall-clock times).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

need() {
    if ! command -v "$1" >/dev/null 2>&1 && [ ! -x "$1" ]; then
        echo "bench.sh: $1 not found; install it with: apt-get install $2" >&2
        exit 2
    fi
}
need hyperfine hyperfine
need /usr/bin/time time
need python3 python3

LINES="${LINES:-600000}"
FILES="${FILES:-1500}"
SEED="${SEED:-1}"
SMALL_LINES="${SMALL_LINES:-100000}"
RUNS="${RUNS:-10}"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
BENCH_DIR="${BENCH_DIR:-$TARGET/bench}"
BIN="$TARGET/release/cargo-tenant-audit"
GEN="$TARGET/release/bench-gen"

echo "== building release"
cargo build --release --quiet -p cargo-tenant-audit --bin cargo-tenant-audit
cargo build --release --quiet -p bench-gen

CORPUS="$BENCH_DIR/corpus-$LINES-$FILES-$SEED"
SMALL="$BENCH_DIR/corpus-$SMALL_LINES-small-$SEED"
echo "== generating corpora"
rm -rf "$CORPUS" "$SMALL"
"$GEN" --out "$CORPUS" --lines "$LINES" --files "$FILES" --seed "$SEED"
"$GEN" --out "$SMALL" --lines "$SMALL_LINES" --files $((FILES * SMALL_LINES / LINES)) --seed "$SEED"

rs_files=$(find "$CORPUS" -name '*.rs' | wc -l)
rs_lines=$(find "$CORPUS" -name '*.rs' -print0 | xargs -0 cat | wc -l)

AUDIT="$BIN --manifest-path $CORPUS --format json"
FLOOR="$BIN --parse-only --manifest-path $CORPUS"
# One file of the small workspace: the pre-commit case (the whole workspace is still indexed).
ONE=$(find "$SMALL" -path '*/api-axum/src/api/*.rs' ! -name mod.rs | sort | head -1)
CHANGED="$BIN --manifest-path $SMALL --format json $ONE"

echo "== sanity"
$FLOOR
$AUDIT >"$BENCH_DIR/audit.json" || true
python3 - "$BENCH_DIR/audit.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s = d["summary"]
print("audit summary:", {k: s[k] for k in sorted(s)}, "findings:", len(d["findings"]))
PY

echo "== hyperfine ($RUNS runs each)"
hyperfine --style basic --warmup 1 --runs "$RUNS" -i \
    --export-json "$BENCH_DIR/hyperfine.json" \
    -n floor "$FLOOR" -n audit "$AUDIT" -n changed-files "$CHANGED"

peak_rss() { # KB
    { /usr/bin/time -v "$@" 2>&1 >/dev/null || true; } | awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}'
}
rss_floor=$(peak_rss $FLOOR)
rss_audit=$(peak_rss $AUDIT)
rss_changed=$(peak_rss $CHANGED)

python3 - "$BENCH_DIR/hyperfine.json" "$rs_files" "$rs_lines" "$rss_floor" "$rss_audit" "$rss_changed" "$(nproc)" <<'PY'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
files, lines = int(sys.argv[2]), int(sys.argv[3])
rss = {"floor": int(sys.argv[4]), "audit": int(sys.argv[5]), "changed-files": int(sys.argv[6])}
med = {k: v["median"] for k, v in res.items()}
ratio = med["audit"] / med["floor"]
ok = lambda c: "ok" if c else "MISSED"
print()
print(f"corpus: {files} .rs files, {lines} lines; {sys.argv[7]} cores")
print(f"{'':14} {'median s':>9} {'min s':>7} {'max s':>7} {'peak RSS MB':>12} {'files/s':>9} {'lines/s':>10}")
for k in ["floor", "audit", "changed-files"]:
    r = res[k]
    fps = f"{files / r['median']:.0f}" if k != "changed-files" else "-"
    lps = f"{lines / r['median']:.0f}" if k != "changed-files" else "-"
    print(f"{k:14} {r['median']:9.3f} {r['min']:7.3f} {r['max']:7.3f} {rss[k] / 1024:12.1f} {fps:>9} {lps:>10}")
print()
cpu = {k: v["user"] + v["system"] for k, v in res.items()}
print(f"audit / floor (medians): {ratio:.2f}   target <= 1.5   {ok(ratio <= 1.5)}")
print(f"audit / floor (CPU time, user+sys means; less sensitive to a loaded machine): {cpu['audit'] / cpu['floor']:.2f}")
print(f"audit peak RSS: {rss['audit'] / 1024:.1f} MB   target <= 150 MB   {ok(rss['audit'] <= 150 * 1024)}")
print(f"changed-files (one file, 100k-line workspace): {med['changed-files']:.3f} s   target <= 0.3 s   {ok(med['changed-files'] <= 0.3)}")
PY
