"""What a CLI process owes its ledger files before it ends without the interpreter's shut-down
(`cli.main.quick_exit`, issue #19)."""

from __future__ import annotations


def close_ledgers() -> None:
    """Close every ledger connection still open (`ledger.schema.close_all`): the last one to close
    checkpoints the WAL into the file and removes the `-wal` file, as its garbage collection at exit
    would have."""
    from ..ledger.schema import close_all

    close_all()
