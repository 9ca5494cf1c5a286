"""``python -m utils.workbook`` is the ``workbook`` command."""

import sys

from .cli import main

sys.exit(main())
