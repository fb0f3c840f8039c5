"""Blueprints of the REST API under /api/v1."""
