"""Registry of benchmark tasks: ``get_task(name)``; one small module per task."""

from __future__ import annotations

from collections.abc import Callable

from .base import PROFILES, Budget, Task
from .digits_mlp import DigitsMLP
from .fmnist_cnn import FashionMnistCNN
from .shakespeare_gpt import ShakespeareGPT
from .tweets_minilm import TweetsMiniLM

TASKS: dict[str, Callable[[], Task]] = {
    DigitsMLP.name: DigitsMLP,
    FashionMnistCNN.name: FashionMnistCNN,
    ShakespeareGPT.name: ShakespeareGPT,
    TweetsMiniLM.name: TweetsMiniLM,
}


def get_task(name: str) -> Task:
    """A fresh task instance by registry name; ``ValueError`` naming ``task`` otherwise."""
    if name not in TASKS:
        raise ValueError(f"Invalid task: {name!r} (choose from {', '.join(TASKS)})")
    return TASKS[name]()


__all__ = ["PROFILES", "TASKS", "Budget", "Task", "get_task"]
