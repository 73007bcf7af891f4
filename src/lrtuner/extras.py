"""Optional dependencies: one message that names the extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType


class MissingExtraError(ImportError):
    """An optional dependency is not installed; the message names the ``lrtuner`` extra."""


def require_extra(
    module: str, extra: str, feature: str, *, package: str | None = None
) -> ModuleType:
    """Import ``module`` or raise :class:`MissingExtraError` naming ``lrtuner[extra]``.

    ``package`` is the name the message gives the missing distribution when it differs from
    ``module`` (``torch.utils.tensorboard`` needs the ``tensorboard`` package). A module set
    to ``None`` in ``sys.modules`` (how tests hide a package) counts as missing.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(
            f"{feature} needs the '{package or module}' package, which is not installed: "
            f"pip install 'lrtuner[{extra}]'"
        ) from exc
