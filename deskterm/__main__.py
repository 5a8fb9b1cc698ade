"""`python -m deskterm`."""

import sys

from deskterm.cli import main

sys.exit(main())
