"""Legal working time: the clock, the holiday calendar kept as data, and deadlines in working days."""
