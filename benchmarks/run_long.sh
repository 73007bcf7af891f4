#!/usr/bin/env bash
# The long benchmark, meant for the background; safe to relaunch: stored runs are skipped and
# failed ones trained again (see benchmarks/results/long/COMMAND.md).
#
#   nohup benchmarks/run_long.sh > benchmarks/results/long/run.log 2>&1 &
#
# Environment: OUT (results folder), JOBS (worker processes, default 2), SEEDS, BENCH (the
# command, default `lrtuner-bench`; e.g. BENCH="python -m lrtuner_bench"), METHODS (step 3's
# methods, default every method), TASKS (step 3's tasks, default `core`: every validation task
# and one development task per family issue 12 requires, planned to fit about 2 hours with 2
# jobs (benchmarks/results/long/plan-core.md); TASKS=all runs all the tasks, calibration grids and
# calibration first (steps 1-2), about 7 h; anything else, e.g. TASKS=validation, skips steps
# 1-2 and uses the committed calibration).
set -euo pipefail
OUT=${OUT:-benchmarks/results/long}
JOBS=${JOBS:-2}
SEEDS=${SEEDS:-0,1,2}
BENCH=${BENCH:-lrtuner-bench}
PEERS=knee,calibrated,prodigy,dadapt,schedulefree,dog,lr-range-test,prodigy-sf,mechanic
TUNER=lrtuner@peak0.001,lrtuner@peak0.01,lrtuner@peak0.1,lrtuner@peak1,lrtuner@peak10
# METHODS overrides the list of step 3 (e.g. METHODS=$PEERS first, the LRTuner runs later)
M=${METHODS:-$PEERS,$TUNER}
COMMON=(--seeds "$SEEDS" --profile long --out "$OUT" --jobs "$JOBS" --no-progress --no-report)

TASKS=${TASKS:-core}
if [ "$TASKS" = all ]; then
  echo "$(date +%T) 1/4 development tasks: tuned-baseline grids and calibration grids"
  $BENCH run --task development --method calibrated "${COMMON[@]}"
  echo "$(date +%T) 2/4 calibration: one warmup + cosine LR per optimizer family"
  $BENCH calibrate "$OUT" --profile long
else
  echo "$(date +%T) 1-2/4 skipped (TASKS=$TASKS): the committed calibration is used"
fi
echo "$(date +%T) 3/4 tasks: $TASKS, every method"
$BENCH run --task "$TASKS" --method "$M" "${COMMON[@]}"
echo "$(date +%T) 4/4 report"
$BENCH report "$OUT"
python benchmarks/seed_lr_table.py "$OUT" > "$OUT/seed_lr.md" || true
python benchmarks/summary_table.py "$OUT" > "$OUT/summary.md"
echo "$(date +%T) done"
