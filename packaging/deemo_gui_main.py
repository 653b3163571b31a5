"""Entry script of the frozen app (PyInstaller): the `deemo-gui` command."""
import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()  # torch / multiprocessing children re-enter the executable
    from deemo_gui.__main__ import main

    sys.exit(main())
