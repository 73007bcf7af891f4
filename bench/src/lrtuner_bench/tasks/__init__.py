"""Registry of benchmark tasks: ``get_task(name)``; one small module per task.

The development/validation split is declared on each task (``Task.split``, with a one-line
``Task.split_reason``) before any result of the ``long`` profile exists; :data:`DEVELOPMENT`
and :data:`VALIDATION` are its registry views. Rules and constants may be set on development
tasks only; validation tasks are run to report. A rule changed after looking at a validation
task turns that task into a development task, and a new validation task replaces it.
"""

from __future__ import annotations

from collections.abc import Callable

from .base import PROFILES, SPLITS, Budget, Task
from .breast_cancer_logreg import BreastCancerLogReg
from .diabetes_huber import DiabetesHuber
from .diabetes_linear import DiabetesLinear
from .digits_adadelta import DigitsAdadelta
from .digits_adagrad import DigitsAdagrad
from .digits_adamaxcnn import DigitsAdamaxCNN
from .digits_autoencoder import DigitsAutoencoder
from .digits_bncnn import DigitsBNCNN
from .digits_bnmlp import DigitsBNMLP
from .digits_centeredrms import DigitsCenteredRMS
from .digits_cnn import DigitsCNN
from .digits_deepmlp import DigitsDeepMLP
from .digits_dwcnn import DigitsDWCNN
from .digits_glumlp import DigitsGluMLP
from .digits_gru import DigitsGRU
from .digits_hingemlp import DigitsHingeMLP
from .digits_linear import DigitsLogReg
from .digits_lstm import DigitsLSTM
from .digits_mlp import DigitsMLP
from .digits_noisymlp import DigitsNoisyMLP
from .digits_resmlp import DigitsResMLP
from .digits_rmsprop import DigitsRMSprop
from .digits_selumlp import DigitsSeluMLP
from .digits_smallbatch import DigitsSmallBatch
from .digits_tanhmlp import DigitsTanhMLP
from .digits_tinybatch import DigitsTinyBatch
from .digits_vae import DigitsVAETask
from .digits_wnmlp import DigitsWNMLP
from .fmnist_adamlogreg import FashionMnistAdamLogReg
from .fmnist_amsgrad import FashionMnistAmsgrad
from .fmnist_cnn import FashionMnistCNN
from .fmnist_denoise import FashionMnistDenoise
from .fmnist_gelumlp import FashionMnistGeluMLP
from .fmnist_l2adam import FashionMnistL2Adam
from .fmnist_largebatch import FashionMnistLargeBatch
from .fmnist_lenet import FashionMnistLeNet
from .fmnist_mixer import FashionMnistMixer
from .fmnist_mlp import FashionMnistMLP
from .fmnist_nadam import FashionMnistNAdam
from .fmnist_plaincnn import FashionMnistPlainCNN
from .fmnist_resmlp import FashionMnistResMLP
from .fmnist_smallbatch import FashionMnistSmallBatch
from .fmnist_smallmlp import FashionMnistSmallMLP
from .fmnist_softmax import FashionMnistSoftmax
from .fmnist_vit import FashionMnistViT
from .fmnist_widemlp import FashionMnistWideMLP
from .iris_mlp import IrisMLP
from .shakespeare_charcnn import ShakespeareCharCNN
from .shakespeare_gpt import ShakespeareGPT
from .shakespeare_gru import ShakespeareGRU
from .shakespeare_lstm import ShakespeareLSTM
from .shakespeare_nplm import ShakespeareNPLM
from .shakespeare_rnn import ShakespeareRNN
from .shakespeare_sgdlstm import ShakespeareSGDLSTM
from .shakespeare_tinygpt import ShakespeareTinyGPT
from .tabular import BreastCancerMLP, DiabetesMLP, WineMLP
from .tweets_adamcnn import TweetsAdamCNN
from .tweets_bow import TweetsBoW
from .tweets_dan import TweetsDAN
from .tweets_embmlp import TweetsEmbMLP
from .tweets_fasttext import TweetsFastText
from .tweets_gru import TweetsGRU
from .tweets_lstm import TweetsLSTM
from .tweets_minilm import TweetsMiniLM
from .tweets_textcnn import TweetsTextCNN
from .tweets_transformer import TweetsTransformer

TASKS: dict[str, Callable[[], Task]] = {
    cls.name: cls
    for cls in (
        DigitsMLP,
        FashionMnistCNN,
        ShakespeareGPT,
        TweetsMiniLM,
        FashionMnistMLP,
        ShakespeareLSTM,
        FashionMnistPlainCNN,
        DiabetesMLP,
        BreastCancerMLP,
        TweetsGRU,
        WineMLP,
        DigitsCNN,
        FashionMnistResMLP,
        TweetsTransformer,
        DigitsLogReg,
        DigitsAutoencoder,
        TweetsBoW,
        ShakespeareCharCNN,
        TweetsTextCNN,
        FashionMnistViT,
        ShakespeareNPLM,
        DigitsVAETask,
        FashionMnistLeNet,
        DigitsDeepMLP,
        FashionMnistDenoise,
        ShakespeareRNN,
        DigitsHingeMLP,
        DigitsBNCNN,
        DigitsGRU,
        DigitsTanhMLP,
        FashionMnistSoftmax,
        TweetsEmbMLP,
        DiabetesLinear,
        DigitsSeluMLP,
        FashionMnistSmallMLP,
        TweetsFastText,
        ShakespeareGRU,
        DigitsNoisyMLP,
        FashionMnistGeluMLP,
        DigitsAdamaxCNN,
        BreastCancerLogReg,
        DiabetesHuber,
        DigitsTinyBatch,
        FashionMnistAdamLogReg,
        DigitsRMSprop,
        FashionMnistLargeBatch,
        DigitsSmallBatch,
        DigitsGluMLP,
        DigitsAdagrad,
        FashionMnistSmallBatch,
        DigitsCenteredRMS,
        FashionMnistWideMLP,
        DigitsAdadelta,
        DigitsBNMLP,
        FashionMnistL2Adam,
        TweetsDAN,
        IrisMLP,
        FashionMnistAmsgrad,
        DigitsLSTM,
        ShakespeareTinyGPT,
        DigitsResMLP,
        FashionMnistNAdam,
        TweetsLSTM,
        DigitsDWCNN,
        DigitsWNMLP,
        FashionMnistMixer,
        ShakespeareSGDLSTM,
        TweetsAdamCNN,
    )
}

#: task names per split, in registry order.
DEVELOPMENT: tuple[str, ...] = tuple(n for n, c in TASKS.items() if c.split == "development")
VALIDATION: tuple[str, ...] = tuple(n for n, c in TASKS.items() if c.split == "validation")

#: the development tasks of the ``long`` profile's default selection (``--task core``), one per
#: family issue 12 requires, so that the profile's default run fits its 2-hour plan on a 2-core
#: machine (``benchmarks/long_plan.py --tasks core``); ``--task all`` runs all the tasks. Chosen
#: by what each task is, not by any result: a BatchNorm CNN with SGD-momentum (fmnist-cnn), an
#: MLP with AdamW (fmnist-mlp, 5000 steps), a transformer LM with Adam (shakespeare-gpt),
#: pretrained fine-tuning with AdamW (tweets-minilm), a recurrent model (shakespeare-lstm), a
#: regression on the MSE (diabetes-mlp, 5000 steps) and a network without normalisation layers
#: (digits-mlp, 5000 steps).
CORE_DEVELOPMENT: tuple[str, ...] = (
    "fmnist-cnn",
    "fmnist-mlp",
    "shakespeare-gpt",
    "tweets-minilm",
    "shakespeare-lstm",
    "diabetes-mlp",
    "digits-mlp",
)
#: the ``long`` profile's default selection: :data:`CORE_DEVELOPMENT` and every validation
#: task, so that whatever the split holds, the acceptance checks run in the default selection.
CORE: tuple[str, ...] = CORE_DEVELOPMENT + VALIDATION


def get_task(name: str) -> Task:
    """A fresh task instance by registry name; ``ValueError`` naming ``task`` otherwise."""
    if name not in TASKS:
        raise ValueError(f"Invalid task: {name!r} (choose from {', '.join(TASKS)})")
    return TASKS[name]()


def split_of(name: str) -> str:
    """``"development"`` or ``"validation"`` for a registered task, ``"unknown"`` otherwise
    (a results folder may hold tasks that are no longer registered)."""
    cls = TASKS.get(name)
    return cls.split if cls is not None else "unknown"


def tasks_in_split(split: str) -> tuple[str, ...]:
    """The task names of a split; ``ValueError`` naming ``split`` otherwise."""
    if split not in SPLITS:
        raise ValueError(f"Invalid split: {split!r} (choose from {', '.join(SPLITS)})")
    return DEVELOPMENT if split == "development" else VALIDATION


__all__ = [
    "CORE",
    "CORE_DEVELOPMENT",
    "DEVELOPMENT",
    "PROFILES",
    "SPLITS",
    "TASKS",
    "VALIDATION",
    "Budget",
    "Task",
    "get_task",
    "split_of",
    "tasks_in_split",
]
