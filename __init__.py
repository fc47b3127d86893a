"""gainlog: an event-sourced capital-gains ledger for US taxpayers who hold crypto and stocks.

The repository's top-level folders (ledger/, projections/, cli/, fixtures/, api/) install as this
package's subpackages (`gainlog.ledger`, ...): pyproject.toml maps `gainlog` to the repository root.
"""
