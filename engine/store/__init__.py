"""Where state is kept: the database and its migrations, the unit of work, the audit chain, shared counters."""
