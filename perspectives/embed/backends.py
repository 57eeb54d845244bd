"""Fast CPU backends for any sentence-transformers model: export, quantise or distil once, cache, reuse.

Every backend but `torch` is built from the source model with the libraries' own tools (sentence-transformers'
ONNX/OpenVINO loading and export functions, nncf, model2vec) and saved as a self-contained model folder under
`<cache>/<model-slug>/<folder>/`. A later load finds that folder and builds nothing. See models/README.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import logging
import os
import re
import shutil
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from perspectives.embed.models import ModelSpec

log = logging.getLogger(__name__)

# int8 calibration texts, shipped with the package so that no install needs a download or a source checkout: the
# first 128 documents of the demo corpus (the project's own writing, CC0) as the model reads them.
CALIBRATION_FILE = "calibration.jsonl"
NOTE = "perspectives-backend.json"  # what a cached folder was built from; written last by every build


@dataclass(frozen=True)
class Backend:
    engine: str  # "torch", "onnx", "openvino" or "static"
    folder: str = ""  # cache folder name; openvino-bf16 shares the fp32 IR (its precision is a runtime setting)
    file_name: str | None = None  # the model file inside the folder, for sentence-transformers' loader
    model_kwargs: dict = field(default_factory=dict)


# onnxruntime 1.32 would pick AzureExecutionProvider by default.
_ORT = {"provider": "CPUExecutionProvider"}
BACKENDS: dict[str, Backend] = {
    "torch": Backend("torch"),
    "onnx": Backend("onnx", "onnx", "onnx/model.onnx", _ORT),
    "onnx-int8": Backend("onnx", "onnx-int8", "onnx/model_qint8_avx512_vnni.onnx", _ORT),
    # OpenVINO runs bf16 by default on CPUs that have it: fp32 must be asked for.
    "openvino": Backend("openvino", "openvino", "openvino/openvino_model.xml",
                        {"ov_config": {"INFERENCE_PRECISION_HINT": "f32"}}),
    "openvino-bf16": Backend("openvino", "openvino", "openvino/openvino_model.xml",
                             {"ov_config": {"INFERENCE_PRECISION_HINT": "bf16"}}),
    "openvino-int8": Backend("openvino", "openvino-int8", "openvino/openvino_model_qint8_quantized.xml",
                             {"ov_config": {"INFERENCE_PRECISION_HINT": "f32"}}),  # f32 for the non-int8 layers
    "static": Backend("static", "static"),
}


# x86 instructions that multiply int8 in hardware (VNNI, AMX): there OpenVINO's static int8 is fast.
INT8_INSTRUCTIONS = frozenset({"avx512_vnni", "avx_vnni", "amx_int8"})
# Intel's AMX tiles multiply bf16 in hardware: there OpenVINO bf16 outran its static int8 (whose other layers stay
# fp32) and gave fp32's stories. AVX512_BF16 alone (AMD Zen 4) ran bf16 slower than int8.
BF16_TILES = "amx_bf16"


def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags as Linux lists them (/proc/cpuinfo); empty where they cannot be read."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return frozenset(line.split(":", 1)[1].split())
    return frozenset()


def default_backend(spec: ModelSpec, flags: frozenset[str] | None = None) -> str:
    """The backend a model runs on unless told. A built-in engine's first; torch for models other than the packaged
    one, until measured. The packaged model by what the CPU has (`flags`, default this CPU's): openvino-bf16 with AMX;
    openvino-int8 with int8 instructions; OpenVINO fp32 with AVX2 alone, where its int8 ran slower than fp32
    (onnx-int8 is faster there, but its vectors depend on the texts batched together); torch when the flags say
    neither. Speeds and the quality guard: models/README.md ("The default")."""
    if spec.engine is not None:
        return spec.engine.backends[0]
    if spec.origin != "packaged":
        return "torch"
    flags = cpu_flags() if flags is None else flags
    if BF16_TILES in flags:
        return "openvino-bf16"
    if flags & INT8_INSTRUCTIONS:
        return "openvino-int8"
    return "openvino" if "avx2" in flags else "torch"


class UnknownBackend(ValueError):
    """A backend name that does not exist, or does not apply to the model."""


def check_backend(backend: str, spec: ModelSpec) -> Backend:
    """The backend's settings; a clear error for unknown names or models that have their own engine."""
    if backend not in BACKENDS:
        raise UnknownBackend(f"unknown embedding backend {backend!r}; choose one of: {', '.join(BACKENDS)}")
    engine = spec.engine
    if engine is not None and backend not in engine.backends:
        raise UnknownBackend(f"{engine.name} runs on its own engine ({engine.description}): backend {backend!r} does "
                             f"not apply (use {', '.join(map(repr, engine.backends))})")
    return BACKENDS[backend]


def runs_here(backend: str, spec: ModelSpec) -> bool:
    """Whether `backend` applies to the model and runs on this CPU (bf16 only where the CPU has it)."""
    try:
        check_backend(backend, spec)
    except UnknownBackend:
        return False
    return backend != "openvino-bf16" or native_bf16()


def model_slug(spec: ModelSpec) -> str:
    """Cache key of the source model: its name, plus a fingerprint so two models of one name never share exports."""
    source = Path(spec.source)
    if source.is_dir():
        # File names and sizes rather than the path: a reinstalled package in another venv still hits the cache.
        fingerprint: list[tuple[str, int]] | str = [(p.relative_to(source).as_posix(), p.stat().st_size)
                                                    for p in sorted(source.rglob("*")) if p.is_file()]
    else:
        fingerprint = spec.source  # a hub id
    digest = hashlib.sha256(json.dumps([spec.name, fingerprint]).encode()).hexdigest()[:10]
    return f"{re.sub(r'[^A-Za-z0-9._-]+', '--', spec.name)}-{digest}"


def cache_folder(spec: ModelSpec, backend: str, cache_dir: Path) -> Path:
    return Path(cache_dir) / model_slug(spec) / BACKENDS[backend].folder


def load(spec: ModelSpec, backend: str, cache_dir: Path):
    """A model with sentence-transformers' encode(), built into the cache on first use (CPU only)."""
    settings = check_backend(backend, spec)
    if settings.engine == "torch":
        raise ValueError("the torch backend loads the source model directly")
    if backend == "openvino-bf16" and not native_bf16():
        # Measured on a Cascade Lake Xeon (AVX-512 VNNI, no BF16): emulated bf16 ran ~50x slower than fp32.
        raise ValueError("openvino-bf16 needs a CPU with native bf16 (AVX512_BF16 or AMX); this one would emulate "
                         "it at a fraction of fp32 speed: use 'openvino' or 'openvino-int8'")
    build = _BUILDERS[settings.folder]
    needed = [NOTE, *([settings.file_name] if settings.file_name else [])]
    folder = _ensure(cache_folder(spec, backend, cache_dir), lambda dest: build(spec, Path(cache_dir), dest), needed)
    if settings.engine == "static":
        return StaticEncoder(folder)
    return _open(folder, backend)


def native_bf16() -> bool:
    """Whether OpenVINO can run bf16 in hardware on this CPU."""
    import openvino as ov

    return "BF16" in ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")


def _open(folder: Path, backend: str):
    from sentence_transformers import SentenceTransformer

    settings = BACKENDS[backend]
    kwargs = {**settings.model_kwargs, "file_name": settings.file_name}
    return SentenceTransformer(str(folder), device="cpu", backend=settings.engine, model_kwargs=kwargs,
                               local_files_only=True)


def _ensure(folder: Path, build: Callable[[Path], None], needed: list[str]) -> Path:
    """The folder, built first if absent or if a file it `needed` is missing (removed by hand, say). Built beside
    it and renamed, so a crash never leaves a half-made model."""
    if all((folder / name).is_file() for name in needed):
        return folder
    if folder.exists():
        missing = [name for name in needed if not (folder / name).is_file()]
        log.warning("%s lacks %s: building it again", folder, ", ".join(missing))
        shutil.rmtree(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    partial = folder.with_name(f".{folder.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    log.warning("building %s (once; later loads reuse it)", folder)
    try:
        with contextlib.redirect_stdout(sys.stderr):  # nncf draws progress bars on stdout, which is for results
            build(partial)
        os.rename(partial, folder)
    except OSError:
        if not folder.is_dir():  # another process finishing first is fine; anything else is not
            raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return folder


def _source_model(spec: ModelSpec, backend: str):
    """The source model exported to an engine by sentence-transformers (the export happens in memory)."""
    from sentence_transformers import SentenceTransformer

    kwargs = dict(BACKENDS[backend].model_kwargs)
    return SentenceTransformer(spec.source, device="cpu", backend=BACKENDS[backend].engine, model_kwargs=kwargs,
                               local_files_only=spec.is_local)


def _export(backend: str) -> Callable[[ModelSpec, Path, Path], None]:
    def build(spec: ModelSpec, cache_dir: Path, dest: Path) -> None:
        _source_model(spec, backend).save(str(dest))
        _note(dest, spec, backend)
    return build


def _quantize_onnx(spec: ModelSpec, cache_dir: Path, dest: Path) -> None:
    """Dynamic int8 (no calibration data): weights int8 ahead of time, activations scaled per batch."""
    from sentence_transformers import export_dynamic_quantized_onnx_model

    fp32 = load(spec, "onnx", cache_dir)
    shutil.copytree(cache_folder(spec, "onnx", cache_dir), dest, ignore=shutil.ignore_patterns("model.onnx"))
    # avx512_vnni: int8 dot products in one instruction on CPUs that have VNNI (this project's Zen 4 does).
    export_dynamic_quantized_onnx_model(fp32, "avx512_vnni", str(dest))
    _note(dest, spec, "onnx-int8")


def _quantize_openvino(spec: ModelSpec, cache_dir: Path, dest: Path) -> None:
    """Static int8 with nncf, calibrated on local texts (sentence-transformers' own helper needs the hub)."""
    import nncf
    import openvino as ov

    fp32 = load(spec, "openvino", cache_dir)
    # The OpenVINO IR inside sentence-transformers' OpenVINO module (optimum's OVModel keeps it as `.model`): the
    # one private attribute read here; sentence-transformers is pinned, and tests/test_backends.py builds this
    # backend and compares its vectors with torch's.
    ir = fp32[0].auto_model.model
    names = {port.get_any_name() for port in ir.inputs}
    samples = [{k: v.numpy() for k, v in fp32.preprocess([text]).items() if k in names}
               for text in calibration_texts()]
    quantized = nncf.quantize(ir, nncf.Dataset(samples), model_type=nncf.ModelType.TRANSFORMER,
                              subset_size=len(samples))
    shutil.copytree(cache_folder(spec, "openvino", cache_dir), dest, ignore=shutil.ignore_patterns("openvino_model.*"))
    file_name = BACKENDS["openvino-int8"].file_name
    assert file_name is not None
    ov.save_model(quantized, dest / file_name, compress_to_fp16=False)
    _note(dest, spec, "openvino-int8", calibration=f"{CALIBRATION_FILE}: {len(samples)} documents")


def _distil_static(spec: ModelSpec, cache_dir: Path, dest: Path) -> None:
    """A model2vec static model: one vector per vocabulary token, taken from the source model (minutes on CPU)."""
    from model2vec.distill import distill

    # No PCA: the vectors stay in the source model's space and size, so they compare with its vectors.
    distill(model_name=spec.source, pca_dims=None, device="cpu").save_pretrained(dest)
    _note(dest, spec, "static")


def _note(dest: Path, spec: ModelSpec, backend: str, **extra) -> None:
    """Record what the folder was built from: the cache is meant to be read by people too."""
    (Path(dest) / NOTE).write_text(
        json.dumps({"source_model": spec.name, "source": spec.source, "backend": backend, **extra}, indent=2))


_BUILDERS = {"onnx": _export("onnx"), "openvino": _export("openvino"), "onnx-int8": _quantize_onnx,
             "openvino-int8": _quantize_openvino, "static": _distil_static}


def calibration_texts() -> list[str]:
    """The int8 calibration documents (package data, see `CALIBRATION_FILE`)."""
    with resources.files("perspectives.embed").joinpath(CALIBRATION_FILE).open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


@contextlib.contextmanager
def quiet_libraries():
    """Silence the model libraries' chatter while a model is built or opened: optimum, sentence-transformers and
    transformers log warnings about export heuristics and tracing that are expected here and mean nothing to a
    user. Errors still surface as exceptions; our own messages (`log`) still show."""
    for library in ("transformers", "optimum"):
        # Their first logger configures the library's root logger (level WARNING), which would undo ours below.
        with contextlib.suppress(ImportError):
            importlib.import_module(f"{library}.utils.logging").get_logger()
    loggers = [logging.getLogger(name) for name in ("optimum", "sentence_transformers", "transformers", "nncf")]
    levels = [logger.level for logger in loggers]
    try:
        for logger in loggers:
            logger.setLevel(logging.ERROR)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


class StaticEncoder:
    """A model2vec static model behind the same encode() as a SentenceTransformer."""

    def __init__(self, folder: Path):
        from model2vec import StaticModel

        self._model = StaticModel.from_pretrained(str(folder))

    def encode(self, texts: list[str], batch_size: int = 1024, show_progress_bar: bool = False,
               normalize_embeddings: bool = True, convert_to_numpy: bool = True) -> np.ndarray:
        # Batches are cheap here (a lookup and a mean), so the transformer-sized batch_size is not used.
        vectors = np.asarray(self._model.encode(list(texts), show_progress_bar=show_progress_bar), dtype=np.float32)
        vectors = vectors.reshape(len(texts), -1)
        if normalize_embeddings:
            vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return vectors
