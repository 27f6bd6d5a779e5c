"""The converter: FaceNet's frozen graph → facenet-pytorch, checked against OpenCV running the original."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from embeddings import FaceConfig, WeightsCorrupt, WeightsNotFound, converted_weights_path, find_facenet_pb
from embeddings.transforms import crop_face, decode_image, standardise
from embeddings.weights import convert_graph
from tests.embeddings.conftest import photo

pytestmark = pytest.mark.slow


def test_every_model_key_is_filled_and_shapes_fit(face_config: FaceConfig) -> None:
    from facenet_pytorch import InceptionResnetV1

    state = convert_graph(find_facenet_pb(face_config).read_bytes())
    model_state = InceptionResnetV1(classify=False).state_dict()
    expected = {k for k in model_state if not k.endswith("num_batches_tracked")}
    assert set(state) == expected
    for key, value in state.items():
        assert tuple(value.shape) == tuple(model_state[key].shape), key


def test_converted_model_matches_opencv_on_real_face_crops(pipeline) -> None:  # type: ignore[no-untyped-def]
    cv2 = pytest.importorskip("cv2", reason="opencv-python-headless is a dev dependency for this fidelity check")
    if not hasattr(cv2.dnn, "readNetFromTensorflow"):
        # OpenCV 5 (which SFace runs on) dropped the TensorFlow importer; the shape and checksum
        # tests above still hold the conversion. The live comparison needs an OpenCV 4 build.
        pytest.skip(f"OpenCV {cv2.__version__} has no TensorFlow importer: the original graph cannot run here")
    net = cv2.dnn.readNetFromTensorflow(str(find_facenet_pb(pipeline.cfg)))
    names = ["obama_4.jpg", "biden_2.jpg", "paul_allen_1.jpg", "steve_wozniak_3.jpg"]
    for name in names:
        image = decode_image(photo(name), max_bytes=10**8, max_pixels=10**9)
        face = pipeline.embed_image(photo(name))[0]
        crop = crop_face(image, face.box, margin=20, size=160)
        blob = standardise(crop[None])  # the same NCHW RGB blob for both
        net.setInput(blob)
        reference = net.forward().ravel()
        ours = pipeline.encoder.embed_batch(crop[None])[0]
        cosine = float(reference @ ours / np.linalg.norm(reference) / np.linalg.norm(ours))
        assert cosine >= 0.9999, (name, cosine)


def test_cache_is_checksummed_and_corruption_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    cfg = FaceConfig(models_dir=tmp_path)
    path = converted_weights_path(cfg)
    manifest = json.loads(path.with_suffix(".json").read_text())
    assert manifest["model_id"].startswith("facenet-20180408-102900") and len(manifest["sha256"]) == 64
    assert converted_weights_path(cfg) == path  # second call: verified cache, no conversion
    state = torch.load(path, weights_only=True)
    state["last_linear.weight"][0, 0] += 1.0
    torch.save(state, path)
    with pytest.raises(WeightsCorrupt, match="checksum"):
        converted_weights_path(cfg)


def test_missing_weights_name_the_setup_command(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(WeightsNotFound, match="make setup"):
        find_facenet_pb(FaceConfig(facenet_pb=tmp_path / "nope.pb"))


def test_vggface2_is_never_downloaded(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(WeightsNotFound, match="never downloaded"):
        converted_weights_path(FaceConfig(model="vggface2", models_dir=tmp_path))


def test_model_is_in_eval_mode(pipeline) -> None:  # type: ignore[no-untyped-def]
    assert pipeline.encoder._model.training is False
    # a blank crop gives a finite unit vector (no batch-norm statistics are updated)
    vector = pipeline.encoder.embed(np.asarray(Image.new("RGB", (160, 160), (128, 128, 128))))
    assert np.isfinite(vector).all() and abs(np.linalg.norm(vector) - 1) < 1e-4
