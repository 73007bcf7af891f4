#!/usr/bin/env bash
# PLAN.md's runs, one process per arm (ARM=trialgrow or chances8). Resumes.
set -u
cd "$(dirname "$0")/../../.."
ARM=${ARM:?set ARM=trialgrow or ARM=chances8}
.venv/bin/python benchmarks/explore_dev.py --label "$ARM" --scenarios "$ARM-peak0.01" \
  --tasks wine-mlp,fmnist-softmax,diabetes-mlp,digits-mlp,shakespeare-nplm,digits-tanhmlp,digits-logreg,tweets-embmlp,digits-vae,digits-autoencoder,tweets-bow,digits-deepmlp,digits-gru,tweets-gru,fmnist-lenet \
  --seeds 0,1,2 --out "benchmarks/results/trial-growth-dev/runs-$ARM.jsonl"
echo done
