"""Keeping the national public service portal in step: the portal outbox and its ordered delivery, what
officers see of it, and the dossiers the portal forwards."""
