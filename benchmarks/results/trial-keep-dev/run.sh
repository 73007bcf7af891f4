#!/usr/bin/env bash
# CRITERION.md's runs, split over two processes (PART=a or PART=b). Resumes.
set -u
cd "$(dirname "$0")/../../.."
case "${PART:?set PART=a or PART=b}" in
  a) TASKS=fmnist-vit,tweets-textcnn,digits-bncnn,digits-cnn,shakespeare-rnn ;;
  b) TASKS=shakespeare-charcnn,fmnist-mlp,fmnist-denoise,shakespeare-lstm,digits-hingemlp ;;
esac
.venv/bin/python benchmarks/explore_dev.py --label keep --scenarios keep-peak0.01 \
  --tasks "$TASKS" --seeds 0,1,2 --out "benchmarks/results/trial-keep-dev/runs-$PART.jsonl"
echo done
