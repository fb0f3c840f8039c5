"""Who does which step: the inbox, claiming, assignment, delegation and hand-over."""
