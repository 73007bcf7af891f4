#!/bin/bash
# 0.15.0's LRTuner runs on its validation tasks, beside the peers' run (run-val015-peers.log):
# shakespeare-tinygpt waits for its tuned-baseline grid (grid.json), which the peers' run makes.
cd "$(dirname "$0")/../../.."
T=lrtuner@peak0.001,lrtuner@peak0.01,lrtuner@peak0.1,lrtuner@peak1,lrtuner@peak10
COMMON=(--seeds 0,1,2 --profile long --out benchmarks/results/long --jobs 1 --no-progress --no-report)
lrtuner-bench run --task iris-mlp,fmnist-amsgrad,digits-lstm --method $T "${COMMON[@]}"
until [ -f benchmarks/results/long/runs/shakespeare-tinygpt/baseline-grid/grid.json ]; do sleep 20; done
lrtuner-bench run --task shakespeare-tinygpt --method $T "${COMMON[@]}"
echo "$(date +%T) done"
