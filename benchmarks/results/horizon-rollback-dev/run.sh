#!/usr/bin/env bash
# Rule 11's candidate on every affected development run (jobs.txt: task scenario seed).
set -u
cd "$(dirname "$0")/../../.."
while read -r task scenario seed; do
  .venv/bin/python benchmarks/explore_dev.py --label 0.9.0-dev --tasks "$task" \
    --scenarios "$scenario" --seeds "$seed" \
    --out benchmarks/results/horizon-rollback-dev/runs-0.9.0-dev.jsonl
done < benchmarks/results/horizon-rollback-dev/jobs.txt
echo done
