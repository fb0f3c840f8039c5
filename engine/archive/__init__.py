"""The dossier's archive package: its documents, files, result, audit and signed manifest, kept for years."""
