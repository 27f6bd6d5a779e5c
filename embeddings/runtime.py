"""torch, imported on demand so that the package loads (and says what is missing) without it."""

from __future__ import annotations

from embeddings.errors import EmbeddingError


def import_torch():  # type: ignore[no-untyped-def]
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - exercised by test_optional_deps
        raise EmbeddingError("the face pipeline needs torch: run 'make setup'") from exc
    return torch
