#!/usr/bin/env bash
# 0.10.0 at defaults on the development tasks of the issue's own families (the BatchNorm CNN,
# the AdamW MLP, the character transformer, MiniLM fine-tuning) and three more no version
# after 0.7.0 has run on; from 1/100 of the tuned peak and from it, seeds 0-2. Split over two
# processes (PART=a or PART=b). Resumes.
set -u
cd "$(dirname "$0")/../../.."
case "${PART:?set PART=a or PART=b}" in
  a) TASKS=fmnist-cnn,shakespeare-gpt,fmnist-plaincnn,tweets-transformer ;;
  b) TASKS=tweets-minilm,fmnist-mlp,fmnist-resmlp ;;
esac
# LABEL: the version (0.10.0; run-016.sh: 0.16.0), TAG: the run files' prefix after "runs-"
.venv/bin/python benchmarks/explore_dev.py --label "${LABEL:-0.10.0}" --scenarios peak0.01,peak1 \
  --tasks "$TASKS" --seeds 0,1,2 --out "benchmarks/results/issue-families-dev/runs-${TAG:-}$PART.jsonl"
echo done
