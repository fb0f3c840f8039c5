"""Online payment of dossier fees through the national payment platform: transactions, callbacks, reconciliation."""
