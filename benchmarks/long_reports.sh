#!/usr/bin/env bash
# The tables of benchmarks/results/long (see its COMMAND.md), from the repository root:
#   benchmarks/long_reports.sh
# 1. the 0.4.0 tables (*-0.4.0.md): the ten tasks of 0.4.0, reported by the 0.4.0 code (its
#    split: commit 8078f42, checked out in a temporary worktree); 2. the 0.5.0 tables
#    (*-0.5.0.md): the fourteen tasks of 0.5.0, reported by the 0.5.0 code and split (commit
#    5934891), the 0.6.0 tables (*-0.6.0.md): its eighteen tasks (commit fc1f6b2), and the
#    0.7.0 tables (*-0.7.0.md): its twenty-two tasks (commit 2529bad), and the 0.8.0 tables
#    (*-0.8.0.md): its twenty-eight tasks (commit 5efd0e5), and the 0.9.0 tables (*-0.9.0.md):
#    its thirty-two tasks (commit c7bf83b), and 0.10.0's first validation (*-0.10.0.md): its
#    thirty-six tasks (commit ff91dbb), and 0.10.0's second (*-0.10.0-second.md): its forty
#    tasks (commit e47b138), and 0.11.0's (*-0.11.0.md): its forty-four tasks (commit
#    73450b3), and 0.12.0's (*-0.12.0.md): its forty-eight (commit 0564c40), and 0.13.0's
#    (*-0.13.0.md): its fifty-two (commit 3b76abf), and 0.14.0's (*-0.14.0.md): its fifty-six
#    (commit 05cc1f7, from the runs stored then), and 0.15.0's (*-0.15.0.md): its sixty (commit
#    a6521a6, from the runs stored then), and 0.16.0's (*-0.16.0.md): its sixty-four (commit
#    2460c03, from the runs stored then), all by tables_of; 3. the full
#    report with the current code; 4. the "Runs stored" table of
#    COMMAND.md.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
TMP=$(mktemp -d)
trap 'for w in "$TMP"/v040 "$TMP"/tree-*; do git worktree remove --force "$w" 2>/dev/null || true; done; rm -rf "$TMP"' EXIT
git worktree add -q --detach "$TMP/v040" 8078f42
L=benchmarks/results/long
# The past versions' tables are built from the runs as they were before 0.14.0 reran the
# LRTuner runs of eleven development tasks that were still 0.4.0's (commit 3b76abf): a past
# table shows the LRTuner runs it showed when it was written.
PAST=$TMP/past
mkdir -p "$PAST"
git archive 3b76abf $L/runs | tar -x -C "$PAST"
PAST=$PAST/$L
OLD="digits-mlp fmnist-cnn shakespeare-gpt tweets-minilm fmnist-mlp shakespeare-lstm fmnist-plaincnn diabetes-mlp breast-cancer-mlp tweets-gru"
rm -rf $TMP/snap040; mkdir -p $TMP/snap040/runs
for t in $OLD; do cp -r $PAST/runs/$t $TMP/snap040/runs/; done
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
# tables_of VERSION COMMIT WORDS TASKS...: the tables of a past version (*-VERSION.md) from its
# tasks' runs, written by that version's code, registry and split (a worktree at COMMIT)
tables_of() {
  # VERSION may carry a suffix after "+" (0.10.0+second): the files are *-0.10.0-second.md
  local version=${1%%+*} suffix=${1/+/-} commit=$2 words=$3; shift 3
  local label=$version
  if [ "$suffix" != "$version" ]; then label="$version (its ${suffix#"$version"-} validation)"; fi
  local snap=$TMP/snap-$suffix tree=$TMP/tree-$suffix
  git worktree add -q --detach "$tree" "$commit"
  rm -rf "$snap"; mkdir -p "$snap/runs"
  for t in "$@"; do cp -r "${FROM:-$PAST}/runs/$t" "$snap/runs/"; done
  # LRTuner runs of a later version are not that version's: drop them from the snapshot
  .venv/bin/python - "$snap" "$version" <<'PY'
import json, sys
from pathlib import Path
def key(v): return tuple(int(x) for x in v.split("."))
for path in Path(sys.argv[1]).glob("runs/*/lrtuner@*/seed*.json"):
    v = json.loads(path.read_text())["config"]["method"].get("library_version") or "0.0.0"
    if key(v) > key(sys.argv[2]):
        path.unlink()
        path.with_suffix(".history.jsonl").unlink(missing_ok=True)
PY
  export PYTHONPATH=$tree/src:$tree/bench/src
  .venv/bin/python - "$snap" <<'PY'
import sys
from pathlib import Path
from lrtuner_bench import runner
from lrtuner_bench.methods import LONG_RECIPE
from lrtuner_bench.tasks import TASKS  # that version's registry: its tasks and its split
M = list(LONG_RECIPE)
b = runner.Benchmark(list(TASKS), M, [0, 1, 2], "long", Path(sys.argv[1]), progress=False)
runner.write_json(Path(sys.argv[1]) / "profile-long.json", b.profile_record())
PY
  .venv/bin/python -m lrtuner_bench report "$snap" > /dev/null
  .venv/bin/python $tree/benchmarks/seed_lr_table.py "$snap" > "$snap/seed_lr.md"
  .venv/bin/python $tree/benchmarks/summary_table.py "$snap" > "$snap/summary.md"
  .venv/bin/python $tree/benchmarks/decision_table.py "$snap" > "$snap/decisions.md"
  unset PYTHONPATH
  for f in report summary seed_lr decisions; do
    sed -e "s|$snap|benchmarks/results/long (the $words tasks of $label, with the $version code: git show $commit)|" "$snap/$f.md" > $L/$f-$suffix.md
  done
  git worktree remove --force "$tree"
}
# the 0.5.0 tables: its fourteen tasks; 0.6.0: its eighteen; 0.7.0: its twenty-two; 0.8.0:
# its twenty-eight; 0.9.0: its thirty-two; 0.10.0 (first validation): its thirty-six
V050="$OLD wine-mlp digits-cnn fmnist-resmlp tweets-transformer"
tables_of 0.5.0 5934891 fourteen $V050
V060="$V050 digits-logreg digits-autoencoder tweets-bow shakespeare-charcnn"
tables_of 0.6.0 fc1f6b2 eighteen $V060
V070="$V060 tweets-textcnn fmnist-vit shakespeare-nplm digits-vae"
tables_of 0.7.0 2529bad twenty-two $V070
V080="$V070 fmnist-lenet digits-deepmlp fmnist-denoise shakespeare-rnn digits-hingemlp digits-bncnn"
tables_of 0.8.0 5efd0e5 twenty-eight $V080
V090="$V080 digits-gru digits-tanhmlp fmnist-softmax tweets-embmlp"
tables_of 0.9.0 c7bf83b thirty-two $V090
# 0.10.0's first validation: its thirty-six tasks, with the split of that time (ff91dbb)
V0100="$V090 diabetes-linear digits-selumlp fmnist-smallmlp tweets-fasttext"
tables_of 0.10.0 ff91dbb thirty-six $V0100
# 0.10.0's second validation: its forty tasks, with the split of that time (e47b138)
V0102="$V0100 shakespeare-gru digits-noisymlp fmnist-gelumlp digits-adamaxcnn"
tables_of 0.10.0+second e47b138 forty $V0102
# 0.11.0's validation: its forty-four tasks, with the split of that time (73450b3)
V0110="$V0102 breast-cancer-logreg diabetes-huber digits-tinybatch fmnist-adamlogreg"
tables_of 0.11.0 73450b3 forty-four $V0110
# 0.12.0's validation: its forty-eight tasks, with the split of that time (0564c40)
V0120="$V0110 digits-rmsprop fmnist-largebatch digits-smallbatch digits-glumlp"
tables_of 0.12.0 0564c40 forty-eight $V0120
# 0.13.0's validation: its fifty-two tasks, with the split of that time (3b76abf)
tables_of 0.13.0 3b76abf fifty-two $V0120 digits-adagrad fmnist-smallbatch digits-centeredrms fmnist-widemlp
# 0.14.0's validation: its fifty-six tasks, with the split of that time, from the runs as they
# were when 0.14.0 was final (05cc1f7: the runs above plus 0.14.0's validation tasks)
PAST14=$TMP/past14
mkdir -p "$PAST14"
git archive 05cc1f7 $L/runs | tar -x -C "$PAST14"
V0140="$V0120 digits-adagrad fmnist-smallbatch digits-centeredrms fmnist-widemlp"
FROM=$PAST14/$L tables_of 0.14.0 05cc1f7 fifty-six $V0140 digits-adadelta digits-bnmlp fmnist-l2adam tweets-dan
# 0.15.0's validation: its sixty tasks, with the split of that time, from the runs stored when
# 0.15.0 was final (a6521a6)
PAST15=$TMP/past15
mkdir -p "$PAST15"
git archive a6521a6 $L/runs | tar -x -C "$PAST15"
V0150="$V0140 digits-adadelta digits-bnmlp fmnist-l2adam tweets-dan"
FROM=$PAST15/$L tables_of 0.15.0 a6521a6 sixty $V0150 iris-mlp fmnist-amsgrad digits-lstm shakespeare-tinygpt
# 0.16.0's validation: its sixty-four tasks, with the split of that time, from the runs stored
# when 0.16.0 was final (2460c03)
PAST16=$TMP/past16
mkdir -p "$PAST16"
git archive 2460c03 $L/runs | tar -x -C "$PAST16"
V0160="$V0150 iris-mlp fmnist-amsgrad digits-lstm shakespeare-tinygpt"
FROM=$PAST16/$L tables_of 0.16.0 2460c03 sixty-four $V0160 digits-resmlp fmnist-nadam tweets-lstm digits-dwcnn
# the full report, current code
.venv/bin/lrtuner-bench report $L > /dev/null
.venv/bin/python benchmarks/seed_lr_table.py $L > $L/seed_lr.md
.venv/bin/python benchmarks/summary_table.py $L > $L/summary.md
.venv/bin/python benchmarks/decision_table.py $L > $L/decisions.md
.venv/bin/python benchmarks/long_status.py $L
echo reports written
