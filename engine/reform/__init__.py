"""Changing a procedure without code: validation, diff, drafts, publishing, what-if, moving dossiers."""
