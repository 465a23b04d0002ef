"""`python -m tui.manager`: run the embedded manager."""

import sys

from tui.manager.cli import main

if __name__ == "__main__":
    sys.exit(main())
