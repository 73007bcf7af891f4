#!/bin/bash
# 0.17.0's validation tasks: the tuned-baseline grids and the peers (they do not use LRTuner).
cd "$(dirname "$0")/../../.."
P=knee,calibrated,prodigy,dadapt,schedulefree,dog,lr-range-test,prodigy-sf,mechanic
N=digits-wnmlp,fmnist-mixer,shakespeare-sgdlstm,tweets-adamcnn
lrtuner-bench run --task $N --method $P --seeds 0,1,2 --profile long \
  --out benchmarks/results/long --jobs 1 --no-progress --no-report
echo "$(date +%T) done"
