"""The matching service: settings, resources, CLI; later the FastAPI app, fusion and review."""

from search_api.config import Settings
from search_api.resources import Resources, open_resources

__all__ = ["Resources", "Settings", "open_resources"]
