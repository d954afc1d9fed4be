"""The Qt front end. Importing it turns off Qt's helper threads for painting.

Qt's raster engine splits large fills and image conversions over a pool of
threads and makes the GUI thread wait for them. On a two-core shop computer,
whose other core is running an engine, that hand-off costs more than it saves:
a round of tab switches on the chain demo took 9.4 and 9.9 ms a switch with the
pool and 8.8 and 6.3 ms without it on an idle machine, and 9.0 and 9.8 against
7.2 and 6.3 ms with a background process busy on numpy. Qt reads the setting
when it first paints, so it is set here, before any window exists; a value set
by hand is kept (any value turns the pool off).
"""

import os

os.environ.setdefault("QT_NO_GUI_THREADPOOL", "1")
