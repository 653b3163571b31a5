"""`deemo-gui` and `python -m deemo_gui`: the desktop application."""

import sys


def main(argv=None) -> int:
    from deemo_gui.qt.app import main as qt_main

    return qt_main(argv)


if __name__ == "__main__":
    sys.exit(main())
