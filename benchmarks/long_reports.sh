#!/usr/bin/env bash
# The tables of benchmarks/results/long (see its COMMAND.md), from the repository root:
#   benchmarks/long_reports.sh
# 1. the 0.4.0 tables (*-0.4.0.md): the ten tasks of 0.4.0, reported by the 0.4.0 code (its
#    split: commit 8078f42, checked out in a temporary worktree); 2. the 0.5.0 tables
#    (*-0.5.0.md): the fourteen tasks of 0.5.0, reported by the 0.5.0 code and split (commit
#    5934891); 3. the full report with the current code; 4. the "Runs stored" table of
#    COMMAND.md.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
TMP=$(mktemp -d)
trap 'git worktree remove --force "$TMP/v040" 2>/dev/null || true; git worktree remove --force "$TMP/v050" 2>/dev/null || true; rm -rf "$TMP"' EXIT
git worktree add -q --detach "$TMP/v040" 8078f42
git worktree add -q --detach "$TMP/v050" 5934891
L=benchmarks/results/long
OLD="digits-mlp fmnist-cnn shakespeare-gpt tweets-minilm fmnist-mlp shakespeare-lstm fmnist-plaincnn diabetes-mlp breast-cancer-mlp tweets-gru"
rm -rf $TMP/snap040; mkdir -p $TMP/snap040/runs
for t in $OLD; do cp -r $L/runs/$t $TMP/snap040/runs/; done
.venv/bin/python - "$TMP/snap040" <<'PY'
import sys
from pathlib import Path
from lrtuner_bench import runner
from lrtuner_bench.methods import LONG_RECIPE
from lrtuner_bench.tasks import TASKS
M = list(LONG_RECIPE)
out = Path("benchmarks/results/long")
b = runner.Benchmark(list(TASKS), M, [0, 1, 2], "long", out, progress=False)
runner.write_json(out / "profile-long.json", b.profile_record())
old = ["digits-mlp","fmnist-cnn","shakespeare-gpt","tweets-minilm","fmnist-mlp","shakespeare-lstm",
       "fmnist-plaincnn","diabetes-mlp","breast-cancer-mlp","tweets-gru"]
b = runner.Benchmark(old, M, [0, 1, 2], "long", Path(sys.argv[1]), progress=False)
rec = b.profile_record()
for name in old:  # the split of 0.4.0
    rec["tasks"][name]["split"] = "validation" if name in old[6:] else "development"
runner.write_json(Path(sys.argv[1]) / "profile-long.json", rec)
PY
export PYTHONPATH=$TMP/v040/src:$TMP/v040/bench/src
.venv/bin/python -m lrtuner_bench report $TMP/snap040 > /dev/null
.venv/bin/python $TMP/v040/benchmarks/seed_lr_table.py $TMP/snap040 > $TMP/snap040/seed_lr.md
.venv/bin/python $TMP/v040/benchmarks/summary_table.py $TMP/snap040 > $TMP/snap040/summary.md
unset PYTHONPATH
.venv/bin/python benchmarks/decision_table.py $TMP/snap040 > $TMP/snap040/decisions.md
for f in report summary seed_lr decisions; do
  sed -e "s|$TMP/snap040|benchmarks/results/long (the ten tasks of 0.4.0, with the 0.4.0 code: git show 8078f42)|" "$TMP/snap040/$f.md" > $L/$f-0.4.0.md
done
# the 0.5.0 tables: its fourteen tasks, its code and its split
V050="$OLD wine-mlp digits-cnn fmnist-resmlp tweets-transformer"
rm -rf $TMP/snap050; mkdir -p $TMP/snap050/runs
for t in $V050; do cp -r $L/runs/$t $TMP/snap050/runs/; done
export PYTHONPATH=$TMP/v050/src:$TMP/v050/bench/src
.venv/bin/python - "$TMP/snap050" <<'PY'
import sys
from pathlib import Path
from lrtuner_bench import runner
from lrtuner_bench.methods import LONG_RECIPE
from lrtuner_bench.tasks import TASKS  # the 0.5.0 registry: its fourteen tasks and its split
M = list(LONG_RECIPE)
b = runner.Benchmark(list(TASKS), M, [0, 1, 2], "long", Path(sys.argv[1]), progress=False)
runner.write_json(Path(sys.argv[1]) / "profile-long.json", b.profile_record())
PY
.venv/bin/python -m lrtuner_bench report $TMP/snap050 > /dev/null
.venv/bin/python $TMP/v050/benchmarks/seed_lr_table.py $TMP/snap050 > $TMP/snap050/seed_lr.md
.venv/bin/python $TMP/v050/benchmarks/summary_table.py $TMP/snap050 > $TMP/snap050/summary.md
.venv/bin/python $TMP/v050/benchmarks/decision_table.py $TMP/snap050 > $TMP/snap050/decisions.md
unset PYTHONPATH
for f in report summary seed_lr decisions; do
  sed -e "s|$TMP/snap050|benchmarks/results/long (the fourteen tasks of 0.5.0, with the 0.5.0 code: git show 5934891)|" "$TMP/snap050/$f.md" > $L/$f-0.5.0.md
done
# the full report, current code
.venv/bin/lrtuner-bench report $L > /dev/null
.venv/bin/python benchmarks/seed_lr_table.py $L > $L/seed_lr.md
.venv/bin/python benchmarks/summary_table.py $L > $L/summary.md
.venv/bin/python benchmarks/decision_table.py $L > $L/decisions.md
.venv/bin/python benchmarks/long_status.py $L
echo reports written
