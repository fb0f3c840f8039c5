"""How `motcua serve` runs: gunicorn with a worker that slow clients cannot tie up (`worker`, `web`), and a
supervisor that keeps the scheduler running as a process of its own beside it (`supervisor`)."""
