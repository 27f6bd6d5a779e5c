"""Server-rendered web pages (see issue 5; not built yet)."""

__all__: list[str] = []
