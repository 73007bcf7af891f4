"""``python -m lrtuner_bench`` is ``lrtuner-bench``."""

import sys

from .cli import main

sys.exit(main())
