"""The bundle's entry point: the app and the CLI in one executable.

``freeze_support()`` comes first: every helper (engines, imports, the frame
reader) is a spawned copy of this executable, and it must become the helper
before anything else (argument parsing, Qt) runs.
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from barberbi_desktop.cli import main

    sys.exit(main())
