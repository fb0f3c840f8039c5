"""The figures a province is judged on, the leader's periods, overdue list and CSV exports."""
