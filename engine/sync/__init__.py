"""Keeping the national portal in step: the portal outbox, its ordered delivery, and the dossiers it forwards."""
