"""The face pipeline on real photographs (adults; public figures)."""

from __future__ import annotations

import itertools

import pytest

from embeddings import ImageRejected, NoUsableFace
from tests.embeddings.conftest import photo

pytestmark = pytest.mark.slow

IDENTITIES = {
    "obama_4.jpg": "obama",
    "obama_5.jpg": "obama",
    "obama_240p.jpg": "obama",
    "biden_2.jpg": "biden",
    "paul_allen_1.jpg": "allen",
    "steve_wozniak_3.jpg": "wozniak",
}


def test_same_identity_pairs_score_above_different_identity_pairs(pipeline) -> None:  # type: ignore[no-untyped-def]
    vectors = {name: pipeline.embed_image(photo(name))[0].embedding for name in IDENTITIES}
    same, different = [], []
    for a, b in itertools.combinations(vectors, 2):
        score = float(vectors[a] @ vectors[b])
        (same if IDENTITIES[a] == IDENTITIES[b] else different).append(score)
    assert min(same) > max(different), (same, different)


def test_multi_face_photo_yields_several_faces_largest_central_first(pipeline) -> None:  # type: ignore[no-untyped-def]
    faces = pipeline.embed_image(photo("kit_with_rose.jpg"))
    assert len(faces) >= 2
    area = [(f.box[2] - f.box[0]) * (f.box[3] - f.box[1]) for f in faces]
    assert area[0] == max(area)


@pytest.mark.parametrize("name", ["obama_240p.jpg", "obama_partial_face2.jpg"])
def test_hard_photos_give_a_face_or_a_clean_error(pipeline, name: str) -> None:  # type: ignore[no-untyped-def]
    try:
        faces = pipeline.embed_image(photo(name))
    except NoUsableFace as exc:
        assert exc.reason.startswith("no usable face")
    else:
        assert faces and 0 <= faces[0].quality <= 1 and faces[0].embedding.shape == (640,)


def test_every_face_has_box_probability_quality_and_unit_embedding(pipeline) -> None:  # type: ignore[no-untyped-def]
    for face in pipeline.embed_image(photo("biden_2.jpg")):
        assert len(face.box) == 4 and 0.9 <= face.prob <= 1
        assert 0 <= face.quality <= 1
        assert abs(float(face.embedding @ face.embedding) - 1) < 1e-4


def test_small_blurry_face_has_lower_quality(pipeline) -> None:  # type: ignore[no-untyped-def]
    sharp = pipeline.embed_image(photo("obama_4.jpg"))[0].quality
    small = pipeline.embed_image(photo("obama_240p.jpg"))[0].quality
    assert small < sharp


def test_no_face_is_a_clear_error_not_a_crash(pipeline) -> None:  # type: ignore[no-untyped-def]
    from io import BytesIO

    from PIL import Image

    blank = BytesIO()
    Image.new("RGB", (300, 300), (90, 140, 200)).save(blank, format="PNG")
    with pytest.raises(NoUsableFace, match="no usable face"):
        pipeline.embed_image(blank.getvalue())
    with pytest.raises(ImageRejected):
        pipeline.embed_image(b"GIF89a but not really")


def test_batch_keeps_order_and_isolates_bad_photos(pipeline) -> None:  # type: ignore[no-untyped-def]
    outcomes = pipeline.embed_images([photo("obama_4.jpg"), b"not an image", photo("biden_2.jpg")])
    assert [o.error is None for o in outcomes] == [True, False, True]
    assert float(outcomes[0].primary.embedding @ outcomes[2].primary.embedding) < 0.5
