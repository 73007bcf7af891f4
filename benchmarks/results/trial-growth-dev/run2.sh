#!/usr/bin/env bash
# PLAN.md's runs, the second part, one process per scenario (SCEN=off300 or trialgrow-off300). Resumes.
set -u
cd "$(dirname "$0")/../../.."
SCEN=${SCEN:?set SCEN=off300 or SCEN=trialgrow-off300}
.venv/bin/python benchmarks/explore_dev.py --label "$SCEN" --scenarios "$SCEN" \
  --tasks wine-mlp,fmnist-softmax,diabetes-mlp,digits-mlp,shakespeare-nplm,digits-tanhmlp,digits-logreg,tweets-embmlp,digits-vae,digits-autoencoder,tweets-bow,digits-deepmlp,digits-gru,tweets-gru,fmnist-lenet \
  --seeds 0,1,2 --out "benchmarks/results/trial-growth-dev/runs-$SCEN.jsonl"
echo done
