"""Face detection, alignment, embedding and the FAISS face index (see issue 3; not built yet)."""

__all__: list[str] = []
