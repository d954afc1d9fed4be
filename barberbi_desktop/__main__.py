import sys

from barberbi_desktop.cli import main

sys.exit(main())
