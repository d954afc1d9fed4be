"""The Qt front end. Importing it turns off Qt's helper threads for painting.

Qt's raster engine splits large fills and image conversions over a pool of
threads and makes the GUI thread wait for them. On a two-core shop computer,
whose other core is running an engine, that hand-off costs more than it saves:
on the chain demo a round of tab switches took 12.0 and 11.9 ms a switch with
the pool and 9.9 and 10.2 ms without it, and 13.4-16.4 against 11.2-13.4 ms
with two background processes busy. Qt reads the setting when it first paints,
so it is set here, before any window exists; an explicit value is kept.
"""

import os

os.environ.setdefault("QT_NO_GUI_THREADPOOL", "1")
