"""Notifications: an outbox written in the event's transaction, delivered by a worker over
channels behind one interface (in-app, email over SMTP, SMS through an adapter)."""
