import sys

from barberbi_desktop.cli import main

# Guarded: the frame reader is a spawned process that imports __main__ again.
if __name__ == "__main__":
    sys.exit(main())
