"""Tools around the ledger: `gainlog generate`, synthetic ledgers for benchmarks and demos (issue #7).

The command mirrors `fixtures.generate.generate` (STYLE.md 17); the generator is imported inside
the command so that start-up stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import JsonOpt, State, app, console, emit_json


@app.command("generate")
def generate_command(
    events: Annotated[int, typer.Option("--events", min=0, help="Number of events (lines) to write.")],
    out: Annotated[Path, typer.Option("--out", help="The .jsonl file to write.")],
    seed: Annotated[int, typer.Option("--seed", help="Random seed: the same seed gives the same file.")] = 0,
    one_asset: Annotated[
        bool,
        typer.Option("--one-asset", help="One crypto asset, one wallet, buys and sells only (the RP2 case)."),
    ] = False,
) -> None:
    """Write a realistic synthetic ledger (canonical jsonl), never selling more than a wallet holds."""
    import sys

    from ..fixtures.generate import generate, write
    from ..ledger.errors import UsageError
    from .render import visible

    try:
        count = write(out, generate(events, seed, one_asset=one_asset))
    except ValueError as exc:  # more events than the generator's time span holds
        raise UsageError(f"--events {events}: {exc}") from None
    print(f"wrote {count} events to {visible(str(out))}", file=sys.stderr)


@app.command("checkpoint")
def checkpoint_command(
    clear: Annotated[bool, typer.Option("--clear", help="Drop every saved checkpoint instead.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Save the lot engine's state and every year's Schedule D totals at the head (report schedule-d after appends)."""
    if clear:
        from ..api.checkpoints import clear_checkpoints

        result: dict[str, object] = {"cleared": clear_checkpoints(State.db)}
        message = f"Dropped {result['cleared']} checkpoint(s)."
    else:
        from ..api.checkpoints import save_checkpoint

        seq = save_checkpoint(State.db, strict=State.strict)
        result = {"seq": seq}
        message = (f"Checkpoint at seq {seq}: report schedule-d after later appends folds only them." if seq
                   else "No checkpoint saved: the ledger is empty.")
    if json_out:
        emit_json(result)
    else:
        console().print(message)
