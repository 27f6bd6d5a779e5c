"""Checking an uploaded photo at once: is its face usable for matching, and if not, what to do."""

from __future__ import annotations

from embeddings import PhotoAdvice, advise
from search_api.resources import Resources


def check_photo(*, res: Resources, data: bytes) -> PhotoAdvice:
    """The advice on one photo: no face, too small, blurred, turned away or several faces, each with what to do.

    The photo is kept whatever the advice (never lose a child); the advice is for the person uploading it.
    """
    return advise(res.face_pipeline.load().embed_images([data])[0])


def check_photos(*, res: Resources, datas: list[bytes]) -> list[PhotoAdvice]:
    """The advice on several photos, embedded side by side."""
    if not datas:
        return []
    return [advise(outcome) for outcome in res.face_pipeline.load().embed_images(datas)]
