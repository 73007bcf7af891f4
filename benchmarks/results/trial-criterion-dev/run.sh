#!/usr/bin/env bash
# The criterion's runs (CRITERION.md): explore_by_trial from 1/100 of the tuned peak and from it,
# on six development tasks the trial never ran on; seeds 0-2, long budgets. Resumes.
set -u
cd "$(dirname "$0")/../../.."
.venv/bin/python benchmarks/explore_dev.py --label trial --scenarios trial-peak0.01,trial-peak1 \
  --tasks fmnist-softmax,tweets-embmlp,digits-tanhmlp,digits-gru,digits-deepmlp,shakespeare-rnn \
  --seeds 0,1,2 --out benchmarks/results/trial-criterion-dev/runs-trial.jsonl
echo done
