"""Error types that carry a one-line message and the CLI exit code they map to."""


class BriefkitError(Exception):
    """A failure the user can act on. ``exit_code`` follows the CLI contract."""

    exit_code = 1


class BadInput(BriefkitError):
    """Bad usage or bad input (exit code 2)."""

    exit_code = 2


class IndexMismatch(BadInput):
    """A saved index does not match the configured embedder or format version."""


class ModelUnavailable(BriefkitError):
    """A generation model could not be found or loaded."""
