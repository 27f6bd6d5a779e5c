"""Content-addressed photo storage: a photo is copied in once, named by its sha256.

Records never reference the uploader's file in place: the file may move or change,
and we must be able to show exactly the photo a reviewer saw.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from indexer.errors import PhotoRejected
from indexer.store.written import keep_content, remove_if_written

PHOTO_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"})
# the only form a stored photo's path takes: no "..", no other folder, no other name
STORE_PATH = re.compile(r"photos/([0-9a-f]{2})/(\1[0-9a-f]{62})\.(jpg|png|webp|bmp|gif|tif|tiff)")
_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"BM", b"II*\x00", b"MM\x00*")


def is_store_path(relpath: str) -> bool:
    """True for a path of the form the store writes (``photos/ab/ab…64 hex….jpg``), nothing else."""
    return STORE_PATH.fullmatch(relpath) is not None


def looks_like_image(data: bytes) -> bool:
    """The bytes start like a JPEG, PNG, GIF, BMP, TIFF or WEBP file (a text file named .jpg does not)."""
    return data.startswith(_SIGNATURES) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


@dataclass(frozen=True)
class StoredPhoto:
    sha256: str
    relpath: str  # relative to the data dir, e.g. photos/ab/ab12….jpg


class PhotoStore:
    """Photos under ``<data dir>/photos/<first two hex>/<sha256><suffix>``."""

    def __init__(self, data_dir: Path, *, max_bytes: int) -> None:
        self.data_dir = Path(data_dir)
        self.max_bytes = max_bytes

    def path_of(self, relpath: str) -> Path:
        """The file of a stored photo; raises ``PhotoRejected`` for anything but a store path."""
        if not is_store_path(relpath):
            raise PhotoRejected("not a stored photo's path")
        return self.data_dir / relpath

    def has(self, relpath: str) -> bool:
        """A store path whose file is in the store."""
        return is_store_path(relpath) and (self.data_dir / relpath).is_file()

    def discard(self, relpath: str, *, session: Session) -> None:
        """A photo ``put_bytes`` stored for ``session`` that its transaction will not name after
        all (the form was refused): removed now if that transaction wrote it, else left alone."""
        if is_store_path(relpath):
            remove_if_written(session, self.data_dir / relpath)

    def put_file(self, source: Path, *, session: Session | None = None) -> StoredPhoto:
        """Copy a photo file into the store (idempotent); see ``put_bytes`` for ``session``."""
        if not source.is_file():
            raise PhotoRejected(f"photo file not found: {source}")
        size = source.stat().st_size
        if size > self.max_bytes:
            raise PhotoRejected(f"photo {source.name} is {size} bytes; the limit is {self.max_bytes}")
        return self.put_bytes(source.read_bytes(), suffix=source.suffix, session=session)

    def put_bytes(self, data: bytes, *, suffix: str, session: Session | None = None) -> StoredPhoto:
        """Keep a photo, named by its sha256. With ``session``, a file this call writes is removed
        again unless that session's transaction (the rows naming the photo) commits."""
        suffix = suffix.lower()
        if suffix not in PHOTO_SUFFIXES:
            raise PhotoRejected(f"unsupported photo type {suffix or '(none)'}; use one of {sorted(PHOTO_SUFFIXES)}")
        if len(data) > self.max_bytes:
            raise PhotoRejected(f"photo is {len(data)} bytes; the limit is {self.max_bytes}")
        if not data:
            raise PhotoRejected("photo file is empty")
        if not looks_like_image(data):
            raise PhotoRejected("the file is not a JPEG, PNG, WEBP, GIF, BMP or TIFF image")
        digest = hashlib.sha256(data).hexdigest()
        relpath = f"photos/{digest[:2]}/{digest}{'.jpg' if suffix == '.jpeg' else suffix}"
        keep_content(self.data_dir / relpath, data, session=session)
        return StoredPhoto(sha256=digest, relpath=relpath)
