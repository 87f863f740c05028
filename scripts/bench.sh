#!/usr/bin/env bash
# Benchmark: the audit against the parse floor (`--parse-only`: same discovery and reading, then
# `syn::parse_file` on every file in parallel, nothing else) on generated corpora.
#
#   scripts/bench.sh                      # default corpus (~600k lines, ~1,500 files) + scale
#   LINES=200000 FILES=500 scripts/bench.sh
#   SCALE=0 scripts/bench.sh              # without the ~3M-line scale workspace
#   FOLDER=0 scripts/bench.sh             # without the folder of 12 workspaces
#
# Corpora (bench-gen): the default one; a ~100k-line one for the changed-files case; the scale
# workspace (`bench-gen --crates N`: N replicas of the seven packages, a shared crate they call
# into with consts, statics and fns, and a monolith crate of 2,000+ files; ~3M lines); a folder
# of 12 workspaces of 3k to 200k lines side by side (~600k lines), audited in one run, as a
# monorepo checkout or a folder of services is.
#
# Env: LINES, FILES, SEED (default corpus), SMALL_LINES (changed-files corpus, 100000), SCALE
# (1), SCALE_LINES (3000000), SCALE_FILES (8000), SCALE_CRATES (4), RUNS (hyperfine runs, 10),
# SCALE_RUNS (3), RSS_RUNS (peak RSS runs of each command, interleaved: the median is printed;
# 3), FOLDER (1), FOLDER_RUNS (5), INSTR (1: instruction counts, when valgrind is installed),
# CARGO_TARGET_DIR (build dir, default target/), BENCH_DIR (corpora, default
# $CARGO_TARGET_DIR/bench). Targets (docs/performance.md): CPU ratio <= 1.5, peak RSS <= 100 MB on
# the default corpus and <= 2x the floor's on the scale one, phase 2 <= 15% of the audit,
# changed-files <= 0.3 s. Prints the figures; not a test (CI asserts no wall-clock times).
#
# Times on a shared machine move by a tenth between identical runs; instruction counts do not.
# With INSTR=1 and valgrind installed, the floor and the audit of the ~100k-line corpus are also
# run once each under callgrind on one thread, and the ratio of the instructions they execute is
# printed: a change to the audit shows there even when the times hide it.
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
SCALE="${SCALE:-1}"
SCALE_LINES="${SCALE_LINES:-3000000}"
SCALE_FILES="${SCALE_FILES:-8000}"
SCALE_CRATES="${SCALE_CRATES:-4}"
RUNS="${RUNS:-10}"
SCALE_RUNS="${SCALE_RUNS:-3}"
RSS_RUNS="${RSS_RUNS:-3}"
FOLDER="${FOLDER:-1}"
FOLDER_RUNS="${FOLDER_RUNS:-5}"
INSTR="${INSTR:-1}"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
BENCH_DIR="${BENCH_DIR:-$TARGET/bench}"
BIN="$TARGET/release/cargo-tenant-audit"
GEN="$TARGET/release/bench-gen"

echo "== building release"
cargo build --release --quiet -p cargo-tenant-audit --bin cargo-tenant-audit
cargo build --release --quiet -p bench-gen

CORPUS="$BENCH_DIR/corpus-$LINES-$FILES-$SEED"
SMALL="$BENCH_DIR/corpus-$SMALL_LINES-small-$SEED"
BIG="$BENCH_DIR/scale-$SCALE_LINES-$SCALE_FILES-$SCALE_CRATES-$SEED"
DIR="$BENCH_DIR/folder-$SEED"
echo "== generating corpora"
rm -rf "$CORPUS" "$SMALL" "$BIG" "$DIR"
"$GEN" --out "$CORPUS" --lines "$LINES" --files "$FILES" --seed "$SEED"
"$GEN" --out "$SMALL" --lines "$SMALL_LINES" --files $((FILES * SMALL_LINES / LINES)) --seed "$SEED"
if [ "$SCALE" = 1 ]; then
    "$GEN" --out "$BIG" --lines "$SCALE_LINES" --files "$SCALE_FILES" --crates "$SCALE_CRATES" --seed "$SEED"
fi
if [ "$FOLDER" = 1 ]; then
    i=0
    for lines in 200000 120000 80000 60000 40000 30000 20000 15000 10000 8000 5000 3000; do
        i=$((i + 1))
        "$GEN" --out "$DIR/service-$i" --lines "$lines" --files $((lines / 400)) --seed $((SEED + i)) >/dev/null
    done
fi

peak_rss() { # KB
    { /usr/bin/time -v "$@" 2>&1 >/dev/null || true; } | awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}'
}

# measure NAME CORPUS RUNS [EXTRA_NAME EXTRA_CMD]: hyperfine of floor and audit (and an extra
# command), peak RSS of each, the audit's phase times; writes $BENCH_DIR/NAME.*.
measure() {
    local name=$1 corpus=$2 runs=$3
    local audit="$BIN --manifest-path $corpus --format json"
    local floor="$BIN --parse-only --manifest-path $corpus"
    local extra=()
    if [ $# -ge 5 ]; then extra=(-n "$4" "$5"); fi
    echo "== $name: sanity"
    $floor
    $audit >"$BENCH_DIR/$name.audit.json" || true
    python3 - "$BENCH_DIR/$name.audit.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s = d["summary"]
print("audit summary:", {k: s[k] for k in sorted(s)}, "findings:", len(d["findings"]))
PY
    echo "== $name: hyperfine ($runs runs each)"
    hyperfine --style basic --warmup 1 --runs "$runs" -i \
        --export-json "$BENCH_DIR/$name.hyperfine.json" \
        -n floor "$floor" -n audit "$audit" "${extra[@]}"
    # Peak RSS, RSS_RUNS runs of each, interleaved (the median is printed): the floor's moves by
    # a quarter between runs at scale, with whichever large files the workers parse at once.
    for _ in $(seq "$RSS_RUNS"); do
        echo "floor $(peak_rss $floor)"
        echo "audit $(peak_rss $audit)"
        if [ $# -ge 5 ]; then echo "$4 $(peak_rss $5)"; fi
    done >"$BENCH_DIR/$name.rss"
    # Phase times, three runs (the medians are printed; a folder's workspaces summed per run).
    for _ in 1 2 3; do
        echo "run"
        TENANT_AUDIT_TIMINGS=1 $audit 2>&1 >/dev/null | grep 'tenant-audit timings' || true
    done >"$BENCH_DIR/$name.timings"
    echo "$(find "$corpus" -name '*.rs' | wc -l) $(find "$corpus" -name '*.rs' -print0 | xargs -0 cat | wc -l)" \
        >"$BENCH_DIR/$name.size"
}

ONE=$(find "$SMALL" -path '*/api-axum/src/api/*.rs' ! -name mod.rs | sort | head -1)
measure default "$CORPUS" "$RUNS" changed-files "$BIN --manifest-path $SMALL --format json $ONE"
corpora=(default)
if [ "$SCALE" = 1 ]; then
    measure scale "$BIG" "$SCALE_RUNS"
    corpora+=(scale)
fi
if [ "$FOLDER" = 1 ]; then
    measure folder "$DIR" "$FOLDER_RUNS"
    corpora+=(folder)
fi

# Instructions executed (callgrind's `Collected`), one thread, floor then audit.
rm -f "$BENCH_DIR/instructions"
if [ "$INSTR" = 1 ] && command -v valgrind >/dev/null 2>&1; then
    echo "== instructions: callgrind, one thread, $SMALL"
    for k in floor audit; do
        if [ "$k" = floor ]; then cmd=(--parse-only); else cmd=(--format json); fi
        n=$({ valgrind --tool=callgrind --callgrind-out-file=/dev/null \
            "$BIN" -j 1 "${cmd[@]}" --manifest-path "$SMALL" 2>&1 >/dev/null || true; } |
            awk '/Collected :/ {print $NF}')
        echo "$k ${n:-0}" >>"$BENCH_DIR/instructions"
    done
fi

python3 - "$BENCH_DIR" "$(nproc)" "$SMALL_LINES" "${corpora[@]}" <<'PY'
import json, re, statistics, sys
bench, cores, small, corpora = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
ok = lambda c: "ok" if c else "MISSED"

def dur(text):
    m = re.fullmatch(r"([\d.]+)(ns|µs|us|ms|s)", text)
    return float(m.group(1)) * {"ns": 1e-9, "µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0}[m.group(2)]

for name in corpora:
    res = {r["command"]: r for r in json.load(open(f"{bench}/{name}.hyperfine.json"))["results"]}
    rss_runs = {}
    for line in open(f"{bench}/{name}.rss"):
        k, v = line.split()
        rss_runs.setdefault(k, []).append(int(v) / 1024)
    rss = {k: statistics.median(v) for k, v in rss_runs.items()}
    rss_range = {k: (min(v), max(v)) for k, v in rss_runs.items()}
    files, lines = map(int, open(f"{bench}/{name}.size").read().split())
    # Per run (each starts with a `run` line), summed over the run's workspaces.
    runs = []
    for line in open(f"{bench}/{name}.timings"):
        if line.strip() == "run":
            runs.append(({}, {}))
            continue
        run_phases, run_steps = runs[-1]
        m = re.search(r"extract ([^,]+), judge (\S+)", line)
        if m:
            run_phases["extract"] = run_phases.get("extract", 0) + dur(m.group(1))
            run_phases["judge"] = run_phases.get("judge", 0) + dur(m.group(2))
        m = re.search(r"judge: (.*)", line)
        if m:
            for part in m.group(1).split(", "):
                step, t = part.rsplit(" ", 1)
                run_steps[step] = run_steps.get(step, 0) + dur(t)
    phases, steps = {}, {}
    for run_phases, run_steps in runs:
        for k, v in run_phases.items():
            phases.setdefault(k, []).append(v)
        for k, v in run_steps.items():
            steps.setdefault(k, []).append(v)
    print()
    print(f"[{name}] {files} .rs files, {lines} lines; {cores} cores")
    print(f"{'':14} {'median s':>9} {'min s':>7} {'max s':>7} {'CPU s':>7} {'peak RSS MB':>12} {'lines/s':>10}")
    for k, r in res.items():
        cpu = r["user"] + r["system"]
        lps = f"{lines / r['median']:.0f}" if k != "changed-files" else "-"
        print(f"{k:14} {r['median']:9.3f} {r['min']:7.3f} {r['max']:7.3f} {cpu:7.2f} {rss[k]:12.1f} {lps:>10}")
    cpu = {k: v["user"] + v["system"] for k, v in res.items()}
    ratio = cpu["audit"] / cpu["floor"]
    wall = res["audit"]["median"] / res["floor"]["median"]
    mem = rss["audit"] / rss["floor"]
    print(f"audit / floor, CPU time (user+sys means): {ratio:.2f}   target <= 1.5   {ok(ratio <= 1.5)}")
    print(f"audit / floor, wall medians: {wall:.2f}")
    spread = ", ".join(f"{k} {lo:.1f}-{hi:.1f}" for k, (lo, hi) in rss_range.items())
    print(f"audit / floor, peak RSS (medians of {len(rss_runs['floor'])}): {mem:.2f}   target <= 2   {ok(mem <= 2)}   (MB, min-max: {spread})")
    if name == "default":
        print(f"audit peak RSS: {rss['audit']:.1f} MB   target <= 100 MB   {ok(rss['audit'] <= 100)}")
    if phases:
        ex, ju = statistics.median(phases["extract"]), statistics.median(phases["judge"])
        share = ju / (ex + ju)
        print(f"phases (medians of 3): extract {ex:.3f} s, judge (phase 2) {ju:.3f} s = {share:.0%} of the audit   target <= 15%   {ok(share <= 0.15)}")
        print("  phase 2 steps: " + ", ".join(f"{s} {statistics.median(v):.3f} s" for s, v in steps.items()))
    if "changed-files" in res:
        med = res["changed-files"]["median"]
        print(f"changed-files (one file, {small // 1000}k-line workspace): {med:.3f} s   target <= 0.3 s   {ok(med <= 0.3)}")

try:
    counts = dict(line.split() for line in open(f"{bench}/instructions"))
except FileNotFoundError:
    counts = {}
floor_i, audit_i = int(counts.get("floor", 0)), int(counts.get("audit", 0))
if floor_i and audit_i:
    print()
    print(f"[instructions] {small // 1000}k-line corpus, one thread (callgrind)")
    print(f"floor {floor_i / 1e6:.1f}M, audit {audit_i / 1e6:.1f}M: audit / floor {audit_i / floor_i:.3f}")
elif counts:
    print("instructions: callgrind gave no count (see valgrind's output)")
PY
