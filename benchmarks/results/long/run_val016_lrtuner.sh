#!/bin/bash
# 0.16.0's LRTuner runs on its validation tasks, beside the peers' run (run-val016-peers.log):
# each task waits for its tuned-baseline grid (grid.json), which the peers' run makes.
cd "$(dirname "$0")/../../.."
T=lrtuner@peak0.001,lrtuner@peak0.01,lrtuner@peak0.1,lrtuner@peak1,lrtuner@peak10
COMMON=(--seeds 0,1,2 --profile long --out benchmarks/results/long --jobs 1 --no-progress --no-report)
for task in digits-resmlp fmnist-nadam tweets-lstm digits-dwcnn; do
  until [ -f benchmarks/results/long/runs/$task/baseline-grid/grid.json ]; do sleep 20; done
  lrtuner-bench run --task $task --method $T "${COMMON[@]}"
done
echo "$(date +%T) done"
