"""What happens on time: BPMN timers, the escalation sweep, notifications and their delivery."""
