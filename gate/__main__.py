"""`python -m gate` runs the CLI."""

import sys

from .cli import main

sys.exit(main())
