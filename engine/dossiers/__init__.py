"""A dossier's life: submission, reception, its workflow and steps, lifecycle actions, tracking, files."""
