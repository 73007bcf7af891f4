#!/bin/bash
# End-to-end runs of the criterion's step 2: both arms of every (task, seed, seed LR) in
# e2e-runs.txt (cost, task, seed, seed LR / peak, 0.15.0 LR / 0.16.0 LR), split over two workers.
#   nohup benchmarks/results/search-retry-start-dev/e2e_worker.sh 0 & nohup ... 1 &
cd /work/main
i=0
while read cost task seed scale q; do
  if [ $((i % 2)) -eq $1 ]; then
    s=$(python3 -c "print(f'{float(\"$scale\"):g}')")
    .venv/bin/python benchmarks/explore_dev.py --label 0.16.0-dev --tasks $task --scenarios peak$s,rs0-peak$s --seeds $seed --grids benchmarks/results/long/runs --out benchmarks/results/search-retry-start-dev/runs-e2e.jsonl
  fi
  i=$((i+1))
done < benchmarks/results/search-retry-start-dev/e2e-runs.txt
echo "$(date +%T) worker $1 done"
