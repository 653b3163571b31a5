"""Errors a user can cause. Each carries a one-line message naming the file, the record and what to do."""


class DeemoError(Exception):
    """Base class of every error the user can cause (bad file, bad option)."""


class DataError(DeemoError):
    """A sequence or label file that cannot be read as asked."""


class ModelFileError(DeemoError):
    """A model file that is not a valid deemo model (wrong format, pickle, tampered, mismatched)."""


class ConfigError(DeemoError):
    """An unknown preset, hyperparameter or option value."""
