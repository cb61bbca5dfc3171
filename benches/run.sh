#!/usr/bin/env bash
# The whole performance suite in one run (a few minutes on 2 cores), ending in one table:
#   1. builds the benches once;
#   2. criterion (`benches/overhead.rs`): ns per call of every variant, and the two-thread run
#      on one shared breaker, with short warm-up and measurement times;
#   3. callgrind (`benches/instructions.rs`): instructions per call of every variant, from
#      runs of N1 and N2 calls (the difference cancels start-up and first-call registration);
#   4. the size of each variant's future.
# Needs valgrind, jq and python3. `WARM_UP`, `MEASURE` (seconds), `N1`, `N2` override the defaults;
# `FEATURES=config` measures with configuration by name compiled in (its one load per layer).
set -euo pipefail
cd "$(dirname "$0")/.."

WARM_UP=${WARM_UP:-0.5}
MEASURE=${MEASURE:-1.5}
N1=${N1:-20000}
N2=${N2:-220000}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

echo "== build" >&2
cargo bench ${FEATURES:+--features "$FEATURES"} --bench overhead --bench instructions --no-run --message-format=json-render-diagnostics \
  >"$OUT/build.json"
exe() { jq -r --arg n "$1" 'select(.reason == "compiler-artifact" and .target.name == $n and .executable != null) | .executable' "$OUT/build.json" | tail -1; }
OVERHEAD=$(exe overhead)
INSTRUCTIONS=$(exe instructions)

echo "== criterion (warm-up ${WARM_UP}s, measurement ${MEASURE}s per case)" >&2
CRITERION_HOME="$OUT/criterion" "$OVERHEAD" --bench --noplot \
  --warm-up-time "$WARM_UP" --measurement-time "$MEASURE" >"$OUT/criterion.log" 2>&1 ||
  { cat "$OUT/criterion.log" >&2; exit 1; }

echo "== callgrind (N = $N1 and $N2)" >&2
"$INSTRUCTIONS" sizes >"$OUT/sizes.txt"
for v in $(cut -d' ' -f1 "$OUT/sizes.txt"); do
  for n in "$N1" "$N2"; do
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$INSTRUCTIONS" "$v" "$n" 2>&1 >/dev/null |
      sed -n 's/.*Collected : \([0-9]*\).*/\1/p' | sed "s/^/$v $n /" >>"$OUT/instructions.txt"
  done
done

python3 - "$OUT" "$N1" "$N2" <<'EOF'
import json, os, sys
out, n1, n2 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

def median(group, case):
    with open(os.path.join(out, "criterion", group, case, "new", "estimates.json")) as f:
        return json.load(f)["median"]["point_estimate"]

sizes, peers_of = {}, {}
for line in open(os.path.join(out, "sizes.txt")):
    v, size, peers = line.split()
    sizes[v], peers_of[v] = size, [] if peers == "-" else peers.split(",")
counts = {}
for line in open(os.path.join(out, "instructions.txt")):
    v, n, c = line.split()
    counts.setdefault(v, {})[int(n)] = int(c)
instr = {v: (c[n2] - c[n1]) / (n2 - n1) for v, c in counts.items()}

# Issue 6's targets (and issue 15's hedge), in instructions above the bare call.
targets = {"circuit_breaker": "≤ +30", "retry": "≤ +30", "timeout": "≤ +40",
           "bulkhead": "≤ +80", "stack": "≤ +250", "hedge": "≤ +60",
           # Issue 14's, above a bare plain `fn` (`sync_bare`).
           "sync_circuit_breaker": "≤ +25", "sync_retry": "≤ +15", "sync_bulkhead": "≤ +40"}
# The variants of the two-thread run (benches/overhead.rs, SHARED).
shared = {"bare", "circuit_breaker", "failsafe", "recloser"}

def scaling(v):
    if v not in shared:
        return ""
    one, two = median("shared", f"{v}_1t"), median("shared", f"{v}_2t")
    return f"{2 * one / two:.2f}×"

def base(v):
    """The bare call a variant is measured against: a plain `fn` for the `sync_*` rows, and
    the same body calling an opaque function for the `*_call` rows."""
    b = "sync_bare" if v.startswith("sync_") else "bare"
    return b + "_call" if v.endswith("_call") else b
rows = [("variant", "ns/call", "ns above bare", "instr/call", "instr above bare", "target",
         "peers (instr above bare)", "future bytes (bare +)", "2 threads / 1")]
for v in sizes:
    ns, i, size = median("call", v), instr[v], int(sizes[v])
    b = base(v)
    bare_ns, bare_i, bare_size = median("call", b), instr[b], int(sizes[b])
    target, peers = targets.get(v, ""), peers_of[v]
    rows.append((
        v,
        f"{ns:.1f}",
        "" if v == b else f"{ns - bare_ns:+.1f}",
        f"{i:.0f}",
        "" if v == b else f"{i - bare_i:+.0f}",
        target,
        ", ".join(f"{p} {instr[p] - bare_i:+.0f}" for p in peers),
        "-" if b.startswith("sync_bare") else f"{size}" if v == b else f"{size} (+{size - bare_size})",
        scaling(v),
    ))
widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
for k, r in enumerate(rows):
    print("| " + " | ".join(cell.ljust(w) for cell, w in zip(r, widths)) + " |")
    if k == 0:
        print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
print(f"\nns: criterion median, one call built and polled once in place; instr: callgrind, "
      f"(count at N={n2} − count at N={n1}) / {n2 - n1}; "
      f"2 threads / 1: throughput of two threads on one shared instance over one thread's "
      f"(bare: the machine's own scaling). The sync_* rows are plain `fn`s, measured above "
      f"sync_bare (no future: no size). The *_call rows' body calls an opaque function, as a "
      f"real body does; they are measured above bare_call / sync_bare_call.")
EOF
