#!/usr/bin/env bash
# Issue 11, item 6, what is left: the small and large presets on the converge rules (the accuracy table's
# *-small / *-large rows are still the earlier fixed budgets). 6 presets x the 11 accuracy sets, each
# `deemo train --converge --max-train 12000`, in JOBS parallel processes (one results file each), then the
# table. On a CUDA GPU (about 40 s a run on an H200, 16 jobs at a time) it takes minutes; on a 2-core CPU
# many hours, and the 10-minute limit would cut the large presets short.
#     benchmarks/sizes_converged.sh [DEVICE] [JOBS]        # default: cuda 8
#     PRESETS="rnn-small cnn-rnn-small" THREADS=1 benchmarks/sizes_converged.sh cpu 1   # some presets, 1 thread
# A run whose results file exists is not trained again (delete the file to redo it).
set -euo pipefail
cd "$(dirname "$0")/.."
device=${1:-cuda}
jobs=${2:-8}
python=${PYTHON:-python3}
read -r -a presets <<< "${PRESETS:-cnn-small cnn-large rnn-small rnn-large cnn-rnn-small cnn-rnn-large}"
sets=$("$python" -c "from benchmarks.datasets import BENCHMARKS; print(' '.join(BENCHMARKS))")
threads=${THREADS:-$(( $(nproc) / jobs > 0 ? $(nproc) / jobs : 1 ))}
mkdir -p benchmarks/results/models/logs
run() {  # one preset on one set; results/accuracy_sizes_converged_<preset>_<set>.json
    local out="benchmarks/results/accuracy_sizes_converged_$1_$2.json"
    [ -s "$out" ] && return 0
    # --redo: the merged results already hold this preset and set at its fixed budget, which this replaces
    OMP_NUM_THREADS=$threads "$python" benchmarks/accuracy.py --presets "$1" --datasets "$2" --converge \
        --max-train 12000 --threads "$threads" --device "$device" --redo --results "$out" \
        > "benchmarks/results/models/logs/sizes_converged_$1_$2.log" 2>&1 || echo "failed: $1 $2 (see its log)"
}
for p in "${presets[@]}"; do
    for s in $sets; do
        while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
        run "$p" "$s" &
    done
done
wait
"$python" benchmarks/accuracy.py --table
