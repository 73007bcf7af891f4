#!/usr/bin/env bash
# CRITERION.md's runs, split over two processes (PART=a or PART=b). Resumes.
set -u
cd "$(dirname "$0")/../../.."
D=benchmarks/results/trial-gallop-dev
case "${PART:?set PART=a or PART=b}" in
  a) REF=diabetes-linear,digits-selumlp
     TASKS=diabetes-linear,digits-selumlp,fmnist-cnn,shakespeare-gpt,fmnist-plaincnn,fmnist-vit,tweets-textcnn,digits-bncnn,digits-cnn,shakespeare-rnn ;;
  b) REF=fmnist-smallmlp,tweets-fasttext
     TASKS=fmnist-smallmlp,tweets-fasttext,tweets-minilm,tweets-transformer,fmnist-resmlp,shakespeare-charcnn,fmnist-mlp,fmnist-denoise,shakespeare-lstm,digits-hingemlp ;;
esac
# 0.10.0 on the two former validation tasks of this part (its defaults)
.venv/bin/python benchmarks/explore_dev.py --label 0.10.0 --scenarios peak0.01 \
  --tasks "$REF" --seeds 0,1,2 --out "$D/runs-reference-$PART.jsonl"
.venv/bin/python benchmarks/explore_dev.py --label grow --scenarios trialgrow-peak0.01 \
  --tasks "$TASKS" --seeds 0,1,2 --out "$D/runs-$PART.jsonl"
echo done
