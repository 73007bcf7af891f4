"""``python -m lrtuner_bench.gpu {check,prepare}``."""

from .check import main

if __name__ == "__main__":
    raise SystemExit(main())
