"""The review queue: candidate pairs above the threshold, and reviewers' decisions."""
