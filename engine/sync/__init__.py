"""Dossier sync with the national public service portal: the portal outbox, its ordered delivery, what officers see."""
