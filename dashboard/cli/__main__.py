"""``python -m dashboard.cli``: the same as the ``kuzet`` command."""

import sys

from dashboard.cli import main

sys.exit(main())
