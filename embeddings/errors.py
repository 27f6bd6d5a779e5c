"""The embeddings package's exceptions: one base, a subclass for each case a caller handles."""

from __future__ import annotations


class EmbeddingError(Exception):
    """Base of every error raised by the embeddings package."""


class WeightsNotFound(EmbeddingError):
    """Model weights are not on this machine; the message names the setup command."""


class WeightsCorrupt(EmbeddingError):
    """A cached model file does not match its recorded checksum."""


class ImageRejected(EmbeddingError):
    """Not an image we accept: not an image, truncated, too large, a decompression bomb."""


class NoUsableFace(EmbeddingError):
    """The image decoded but holds no face good enough to embed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FaceIndexMismatch(EmbeddingError):
    """A saved face index was built with another model, dimension or normalisation."""
