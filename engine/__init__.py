"""Motcua's domain: procedures, dossiers, tasks and the workflow engine behind them.

Nothing in this package knows about HTTP; `api/` is the only web layer.
"""
