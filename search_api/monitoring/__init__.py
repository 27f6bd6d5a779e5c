"""Monitoring for senior officers (issue 16, part 3): the police action log on every missing report,
dashboards of what is open, idle, waiting and traced, and a weekly digest per state."""
