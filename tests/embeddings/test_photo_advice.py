"""Photo quality at the point of entry: what is wrong with an uploaded photo's face, and what to do."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageFilter

from embeddings import FaceEmbedding, PhotoFaces, advise
from tests.embeddings.conftest import FACES, photo


def _face(side: float = 200, *, sharpness: float = 300, yaw: float = 0.05, left: float = 100) -> FaceEmbedding:
    return FaceEmbedding((left, 100, left + side, 100 + side), 0.99, 0.9, False, np.zeros(4, np.float32), sharpness=sharpness, yaw=yaw)


@pytest.mark.parametrize(
    ("faces", "codes"),
    [
        ((_face(),), []),
        ((_face(40),), ["too_small"]),
        ((_face(sharpness=20),), ["blurred"]),
        ((_face(yaw=0.45),), ["turned_away"]),
        ((_face(), _face(180, left=400)), ["several_faces"]),
        ((_face(), _face(30, left=400)), []),  # a small face in the background is no ambiguity
        ((_face(40, sharpness=10, yaw=0.5),), ["too_small", "blurred", "turned_away"]),
    ],
)
def test_each_problem_is_named_with_what_to_do(faces: tuple, codes: list[str]) -> None:
    advice = advise(PhotoFaces(faces))
    assert advice.usable and [p.code for p in advice.problems] == codes
    assert advice.ok == (not codes)
    assert all(p.action for p in advice.problems)


def test_no_face_and_unreadable_photos_are_not_usable() -> None:
    assert [p.code for p in advise(PhotoFaces((), "no usable face: none detected")).problems] == ["no_face"]
    unreadable = advise(PhotoFaces((), "not a readable image (UnidentifiedImageError)"))
    assert not unreadable.usable and unreadable.problems[0].code == "unreadable"


@pytest.mark.slow
def test_real_photos_get_the_advice_they_deserve(pipeline) -> None:  # type: ignore[no-untyped-def]
    image = Image.open(io.BytesIO(photo("obama_4.jpg"))).convert("RGB")
    blurred = io.BytesIO()
    image.filter(ImageFilter.GaussianBlur(radius=max(image.size) / 120)).save(blurred, "JPEG")
    datas = [
        photo("obama_4.jpg"),
        photo("obama_240p.jpg"),
        photo("kit_with_rose.jpg"),
        blurred.getvalue(),
        (FACES / "README.md").read_bytes(),
    ]
    codes = [[p.code for p in advise(o).problems] for o in pipeline.embed_images(datas)]
    assert codes == [[], ["too_small"], ["several_faces"], ["blurred"], ["unreadable"]]
