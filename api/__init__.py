"""gainlog's library API: one function per command, the database path given explicitly (docs/api.md).

    api.ledger_ops    `init`, `import`, `add`, `log`, `tag`, `retract`, `verify`, `backup`: the write side
    api.checks        the import-time checks that need lot state (a sell's `lots`, `--require-values`)
    api.reading       open a ledger for reading (the drift check), load / stream it as of a knowledge point
    api.reports       `report 8949 | schedule-d | income | all`
    api.manifest      the manifest `report all` writes and `verify --manifest` checks
    api.report_files  the files `report all` writes, the JSON text of every report
    api.audit         `diff`, `explain`
    api.lots          `lots`
    api.tax           `report tax` (the R8 estimate `harvest` and `whatif` also use)
    api.harvest       `harvest`
    api.whatif        `whatif`
    api.transfers     `transfers` (list, --confirm, pair): the one read-and-write use case here
    api.checkpoints   `checkpoint`
    api.progress      how a long replay shows that it is working (the CLI: a spinner)

The CLI (cli/) parses options, calls one of these and renders the result. Imports go
cli -> api -> projections -> ledger.events, and api -> ledger; never back (tests/test_layering.py).
Heavy modules are imported inside the functions, so importing `api` stays cheap.
"""
