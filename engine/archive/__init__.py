"""The dossier's archive package: when a dossier ends, its documents, attachments, signed result, audit excerpt and
record in one .zip, with a manifest of every file's hash signed by the unit, kept for the retention period."""
