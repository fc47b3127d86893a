"""The project's exception types; the CLI maps each to a one-line error and an exit code."""

from __future__ import annotations


class GainlogError(Exception):
    """Base of every error gainlog raises on purpose."""

    exit_code = 1


class InvalidEvent(GainlogError):
    """An input line or CLI option does not make a valid event."""

    exit_code = 2


class DuplicateEvent(GainlogError):
    """A key is already live with a different body (and `--replace` was not given)."""

    exit_code = 2


class ConcurrencyConflict(GainlogError):
    """Another writer appended first; the caller may retry."""

    exit_code = 3


class IntegrityViolation(GainlogError):
    """The hash chain, the append-only guarantee or the file's own records (a stored body, `meta`) are broken."""

    exit_code = 4


class LedgerNotFound(GainlogError):
    """No ledger at the given path (run `gainlog init`)."""

    exit_code = 2


class UnknownKnowledgePoint(GainlogError):
    """An `--as-of` value names no seq, tag or time in the log."""

    exit_code = 2


class UsageError(GainlogError):
    """Arguments that do not fit together."""

    exit_code = 2


class UnusableLedger(GainlogError):
    """The ledger file cannot be used as it is: not SQLite, damaged, or in a place SQLite cannot write."""

    exit_code = 1
