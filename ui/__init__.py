"""Server-rendered web pages for police, CCI staff and reviewers, served with the API."""

from ui.app import create_web_app

__all__ = ["create_web_app"]
