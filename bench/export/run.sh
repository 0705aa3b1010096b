#!/usr/bin/env bash
# Export of 1.5 million gaze rows (60 cases × 25,000 samples, one session, recorded through
# reader/session's Recorder) against pandas' DataFrame.to_csv of the same table, side by side.
# Reports wall time, CPU time (user+sys: the machine is shared) and peak RSS of each.
#   bench/export/run.sh [WORKDIR]        (default /tmp/sightline-export-bench; reused if present)
# Needs /usr/bin/time and Debian's python3-pandas (apt-get install python3-pandas time).
set -euo pipefail
cd "$(dirname "$0")/../.."
work=${1:-/tmp/sightline-export-bench}
cases=${CASES:-60}
samples=${SAMPLES:-25000}
runs=${RUNS:-3}
py=/usr/bin/python3 # Debian's, which has pandas (a pyenv python on PATH may not)
mkdir -p "$work"
go build -o "$work/export-bench" ./bench/export

if [ ! -f "$work/study/.complete-$cases-$samples" ]; then
  rm -rf "$work/study"
  echo "generating $cases cases × $samples samples ..."
  "$work/export-bench" gen "$work/study" "$cases" "$samples"
  touch "$work/study/.complete-$cases-$samples"
fi

measure() { # label, command...: prints "label wall cpu rss" from /usr/bin/time -v
  local label=$1; shift
  local log="$work/time.log"
  /usr/bin/time -v "$@" > "$work/out.log" 2> "$log" || { cat "$work/out.log" "$log"; exit 1; }
  awk -v l="$label" -F': ' '
    /Elapsed \(wall clock\)/ { n = split($2, p, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + p[i] }
    /User time/ { u = $2 } /System time/ { s = $2 } /Maximum resident/ { r = $2 }
    END { printf "%-34s wall %7.2f s  cpu %7.2f s  peak RSS %7.1f MB\n", l, w, u + s, r / 1024 }' "$log"
}

for i in $(seq "$runs"); do
  rm -rf "$work/export"
  measure "sightline export (run $i)" "$work/export-bench" export "$work/study" "$work/export"
  cat "$work/out.log"
done
rows=$(($(wc -l < "$work/export/eye_gaze.csv") - 1))
echo "eye_gaze.csv: $rows rows, $(du -m "$work/export/eye_gaze.csv" | cut -f1) MB"

cat > "$work/pandas_to_csv.py" <<'PY'
import sys, time
import pandas as pd
src, dst = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
df = pd.read_csv(src)
t1 = time.perf_counter()
df.to_csv(dst, index=False)
t2 = time.perf_counter()
print(f"pandas {pd.__version__}: read_csv {t1 - t0:.2f} s (not compared), to_csv {t2 - t1:.2f} s, {len(df)} rows")
# Same formatting? Read a slice exactly (round_trip) and write it back: it must be our bytes.
head = open(src).read().split("\n", 100001)[:100001]
import io
part = pd.read_csv(io.StringIO("\n".join(head) + "\n"), float_precision="round_trip")
again = part.to_csv(index=False)
print("pandas to_csv of the first 100,000 rows read exactly:",
      "byte-identical to ours" if again == "\n".join(head) + "\n" else "DIFFERS from ours")
PY
measure "pandas read_csv + to_csv" "$py" "$work/pandas_to_csv.py" "$work/export/eye_gaze.csv" "$work/pandas.csv"
cat "$work/out.log"
rm -f "$work/pandas.csv"
