"""``python -m lrtuner`` is the ``lrtuner`` command."""

import sys

from .cli import main

sys.exit(main())
