#!/bin/bash
# 0.17.0's LRTuner runs on its validation tasks (their grids and peers: run_val017_peers.sh).
cd "$(dirname "$0")/../../.."
T=lrtuner@peak0.001,lrtuner@peak0.01,lrtuner@peak0.1,lrtuner@peak1,lrtuner@peak10
lrtuner-bench run --task digits-wnmlp,fmnist-mixer,shakespeare-sgdlstm,tweets-adamcnn --method $T \
  --seeds 0,1,2 --profile long --out benchmarks/results/long --jobs 2 --no-progress --no-report
echo "$(date +%T) done"
