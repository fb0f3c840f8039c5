"""Keeping the national public service portal in step: dossiers it forwards, and what is pushed back to it."""
