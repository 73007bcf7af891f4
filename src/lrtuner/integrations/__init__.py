"""Integrations with training frameworks.

Each framework submodule imports its framework when it is imported itself, never before:
``import lrtuner`` pulls neither ``transformers`` nor ``lightning``.

- :mod:`lrtuner.integrations.hf`: :class:`~lrtuner.integrations.hf.LRTunerTrainer`, a
  ``transformers.Trainer`` that tunes its learning rate; :class:`~lrtuner.integrations.hf.
  LRTunerMixin` for your own ``Trainer`` subclass; :class:`~lrtuner.integrations.hf.
  LRTunerCallback` for a Trainer given an ``LRTuner`` you built (``pip install 'lrtuner[hf]'``).
- :mod:`lrtuner.integrations.lightning`: :class:`~lrtuner.integrations.lightning.LRTunerCallback`
  for ``lightning.Trainer`` (``pip install 'lrtuner[lightning]'``).
- :func:`find_lrtuner`: the :class:`~lrtuner.LRTuner` inside an optimizer wrapper (or a list
  of optimizers), for both.
"""

from ._unwrap import find_lrtuner

__all__ = ["find_lrtuner"]
