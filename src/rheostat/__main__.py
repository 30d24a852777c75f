"""``python -m rheostat``: the command line (see ``rheostat.cli``)."""

import sys

from rheostat.cli import main

if __name__ == "__main__":
    sys.exit(main())
