#!/bin/bash
# End-to-end runs of this criterion's step 2 (0.16.0 against rs0, 0.15.0's retries): the
# search-bracket-dev worker on this folder's e2e-runs.txt.
#   nohup benchmarks/results/search-retry-start-dev/e2e_worker.sh 0 & nohup ... 1 &
DIR=benchmarks/results/search-retry-start-dev LABEL=0.16.0-dev CONTROL=rs0 \
  exec "$(dirname "$0")/../search-bracket-dev/e2e_worker.sh" "$@"
