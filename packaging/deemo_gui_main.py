"""Entry script of the frozen app (PyInstaller).

One executable, two commands: started as `deemo` (the Debian package's /usr/bin/deemo, a link
to it) it is the command-line tool (`deemo train|evaluate|predict|explain|motifs|zoo ...`);
under any other name (`deemo-gui`) the desktop application.
"""

import multiprocessing
import os
import sys


def _command_name() -> str:
    name = os.path.basename(sys.argv[0] if sys.argv and sys.argv[0] else "deemo-gui")
    return name[:-4] if name.lower().endswith(".exe") else name


if __name__ == "__main__":
    multiprocessing.freeze_support()  # torch / multiprocessing children re-enter the executable
    if _command_name() == "deemo":
        from deemo_gui.cli.main import main
    else:
        from deemo_gui.__main__ import main

    sys.exit(main())
