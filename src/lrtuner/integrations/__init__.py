"""Integrations with training frameworks.

Each submodule imports its framework when it is imported itself, never before:
``import lrtuner`` pulls neither ``transformers`` nor ``lightning``.

- :mod:`lrtuner.integrations.hf`: :class:`~lrtuner.integrations.hf.LRTunerTrainer`, a
  ``transformers.Trainer`` that tunes its learning rate (``pip install 'lrtuner[hf]'``).
- :mod:`lrtuner.integrations.lightning`: :class:`~lrtuner.integrations.lightning.LRTunerCallback`
  for ``lightning.Trainer`` (``pip install 'lrtuner[lightning]'``).
"""
