"""The `deemo` command line: thin wrappers over `deemo_gui.core`."""
