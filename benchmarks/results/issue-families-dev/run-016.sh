#!/usr/bin/env bash
# 0.16.0 at defaults on the same tasks, seed LRs and seeds as run.sh (0.10.0), a report: no
# rule is chosen on it. Split over two processes (PART=a or PART=b). Resumes.
set -u
cd "$(dirname "$0")/../../.."
case "${PART:?set PART=a or PART=b}" in
  a) TASKS=fmnist-cnn,shakespeare-gpt,fmnist-plaincnn,tweets-transformer ;;
  b) TASKS=tweets-minilm,fmnist-mlp,fmnist-resmlp ;;
esac
.venv/bin/python benchmarks/explore_dev.py --label 0.16.0 --scenarios peak0.01,peak1 \
  --tasks "$TASKS" --seeds 0,1,2 --out "benchmarks/results/issue-families-dev/runs-016-$PART.jsonl"
echo done
