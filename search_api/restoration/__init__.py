"""After a confirmed match: the restoration case, its JJ Act steps, due dates and escalation."""
