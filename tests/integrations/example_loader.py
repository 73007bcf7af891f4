"""Load the ``examples/`` scripts as modules, and skip when optional data is missing.

Importing this module also puts Hugging Face libraries offline: tests never download.
(Not a conftest.py: a second conftest module would shadow the shared one.)
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load_example(name: str) -> ModuleType:
    """Import ``examples/<name>.py`` as a module (examples are scripts, not a package)."""
    path = EXAMPLES / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"lrtuner_example_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def require_installed(name: str) -> None:
    """Skip unless package ``name`` is installed (found, not imported: some only ship data)."""
    if importlib.util.find_spec(name) is None:
        pytest.skip(f"{name} is not installed")
