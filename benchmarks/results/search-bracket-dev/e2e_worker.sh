#!/bin/bash
# End-to-end runs of a criterion's step 2: both arms (peakX and CONTROL-peakX) of every
# (task, seed, seed LR) in DIR/e2e-runs.txt (cost, task, seed, seed LR / peak, control LR /
# candidate LR), split over two workers; runs go to DIR/runs-e2e.jsonl.
#   nohup benchmarks/results/search-bracket-dev/e2e_worker.sh 0 & nohup ... 1 &
# Defaults: this folder, label 0.15.0-dev, control brk0 (0.14.0's search).
HERE="$(cd "$(dirname "$0")" && pwd)"
cd "$HERE/../../.."
DIR=${DIR:-benchmarks/results/search-bracket-dev}
LABEL=${LABEL:-0.15.0-dev}
CONTROL=${CONTROL:-brk0}
i=0
while read cost task seed scale q; do
  if [ $((i % 2)) -eq $1 ]; then
    s=$(python3 -c "print(f'{float(\"$scale\"):g}')")
    .venv/bin/python benchmarks/explore_dev.py --label "$LABEL" --tasks $task \
      --scenarios peak$s,$CONTROL-peak$s --seeds $seed --grids benchmarks/results/long/runs \
      --out "$DIR/runs-e2e.jsonl"
  fi
  i=$((i+1))
done < "$DIR/e2e-runs.txt"
echo "$(date +%T) worker $1 done"
