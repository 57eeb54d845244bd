import numpy as np
import pandas as pd
import pytest

from perspectives.framing import FightinWords, alternative_takes
from perspectives.metrics import bcubed, bcubed_margin_interval, grouping_report, pairwise


def test_fightin_words_matches_the_formula_by_hand():
    texts = ["tariff tariff tariff truce", "truce truce talks"]
    model = FightinWords(prior_size=10.0, ngram_range=(1, 1), stop_words=None).fit(texts, ["A", "B"])
    # Prior from the texts themselves: tariff 3, truce 3, talks 1 (+0.01 each) scaled to 10 pseudo-counts.
    counts = np.array([1.01, 3.01, 3.01])  # alphabetical: talks, tariff, truce
    alpha = 10 * counts / counts.sum()
    y_a, y_b = np.array([0, 3, 1.0]), np.array([1, 0, 2.0])
    la = np.log((y_a + alpha) / (4 + 10 - y_a - alpha))
    lb = np.log((y_b + alpha) / (3 + 10 - y_b - alpha))
    expected = (la - lb) / np.sqrt(1 / (y_a + alpha) + 1 / (y_b + alpha))
    np.testing.assert_allclose(model.z_scores_.loc["A", ["talks", "tariff", "truce"]], expected)
    np.testing.assert_allclose(model.z_scores_.loc["A"], -model.z_scores_.loc["B"])
    assert model.top_terms("A", 2)[0][0] == "tariff"
    assert [t for t, _ in model.top_terms("B", 5)] == ["truce", "talks"]


def test_top_terms_skip_ngrams_that_repeat_a_chosen_word():
    texts = ["air truce air truce air truce", "oil tariffs oil tariffs"]
    model = FightinWords(prior_size=10.0).fit(texts, ["A", "B"])
    terms = [t for t, _ in model.top_terms("A", 5)]
    assert terms == ["air truce"]


def test_terms_are_words_in_every_script():
    from perspectives.text import clause_terms

    # Chinese is cut into words (jieba), not read as one clause; Japanese keeps its kanji compounds and katakana
    # words and drops its particles; Devanagari keeps its vowel signs, Turkish its dotted capital I, Latin its accents;
    # no term spans a clause break, in any script's punctuation.
    assert clause_terms("缅甸发生强烈地震，救援继续", (1, 2), frozenset()) == ["缅甸", "发生", "强烈", "地震", "救援",
                                                                          "继续"]
    assert clause_terms("ミャンマーで地震が発生した", (1, 1), frozenset()) == ["ミャンマー", "地震", "発生"]
    assert clause_terms("भारत में भूकंप", (1, 1), frozenset()) == ["भारत", "में", "भूकंप"]
    assert clause_terms("İtalya'da deprem", (1, 1), frozenset()) == ["i̇talya", "da", "deprem"]
    assert clause_terms("Élysée palace، the truce", (1, 2), frozenset({"the"}), min_length=3) == [
        "élysée", "palace", "élysée palace", "truce"]


def test_each_language_leaves_out_its_own_function_words():
    from perspectives.text import clause_terms

    assert clause_terms("Die Behörden der Region warnen vor dem Feuer", (1, 2), frozenset(), language="de") == [
        "behörden", "region", "warnen", "feuer", "behörden region", "region warnen", "warnen feuer"]
    # News words stay, even where another list calls them stop words (Stopwords ISO: "россия", "война").
    assert clause_terms("Россия заявила, что война продолжается", (1, 1), frozenset(), language="ru") == [
        "россия", "заявила", "война", "продолжается"]
    assert clause_terms("म्यांमार में भूकंप की खबर", (1, 1), frozenset(), language="hi") == ["म्यांमार", "भूकंप",
                                                                                         "खबर"]
    # The Arabic list writes alef without its hamza (الى, ان): إلى and إن are left out all the same.
    assert clause_terms("وقال المجلس إن القتلى ارتفع إلى مئة", (1, 1), frozenset(), language="ar") == [
        "المجلس", "القتلى", "ارتفع", "مئة"]
    # Modern Greek (the stop-words package lists Ancient Greek) and Swahili (which it lacks): Stopwords ISO's lists.
    assert clause_terms("Σεισμός στην Τουρκία για δεύτερη φορά", (1, 1), frozenset(), language="el") == [
        "σεισμός", "τουρκία", "δεύτερη", "φορά"]
    assert clause_terms("Tetemeko la ardhi kwa mara ya pili", (1, 1), frozenset(), language="sw") == [
        "tetemeko", "ardhi", "pili"]


def test_a_term_is_weighed_by_its_rarity_in_its_own_language():
    from perspectives.framing.fightin_words import framing_weight

    # Read as English, every German word is rare; read as German, "sagte" (said) is everyday and "waldbrände"
    # (wildfires) is not. Where wordfreq cannot cut the language (Japanese needs MeCab), English's rarity stands.
    assert framing_weight("sagte", "en") == framing_weight("waldbrände", "de") == 1.0
    assert framing_weight("sagte", "de") < 0.6 and framing_weight("表示", "zh") < framing_weight("地震", "zh")
    assert framing_weight("地震", "ja") == framing_weight("地震", "en")


def test_the_small_word_lists_weigh_every_word_as_the_full_ones_do(monkeypatch):
    from wordfreq import get_frequency_dict

    from perspectives.framing import fightin_words

    # Every 250th of each language's 60,000 most frequent words: everyday words, the once-per-million edge (the small
    # lists end there) and rarer words below it.
    words = [(word, language) for language in ("en", "de") for word in list(get_frequency_dict(language))[:60_000:250]]

    def weights():
        fightin_words.framing_weight.cache_clear()
        return [fightin_words.framing_weight(word, language) for word, language in words]

    small = weights()
    monkeypatch.setattr(fightin_words, "_WORDLIST", "best")
    full = weights()
    fightin_words.framing_weight.cache_clear()
    assert small == full
    assert min(small) < 0.3 and 0.3 < sorted(small)[len(small) // 4] < 1.0 and small.count(1.0) > len(small) / 4


def test_an_untranslated_outlet_is_known_by_its_words_not_its_grammar():
    articles = pd.DataFrame([
        article(1, "Berliner Blatt", "Die Regierung der Stadt kündigte neue Zölle für die Importe an. Die Zölle "
                "treffen die Autoindustrie.", story_lang="de"),
        article(2, "Capitol Ledger", "The city government announced new tariffs on imports. Carmakers brace."),
    ])
    members = pd.DataFrame({"article_id": ["a1", "a2"], "story_id": "s1", "wire_group": None})
    takes = alternative_takes(articles, members).set_index("outlet")
    german = takes.loc["Berliner Blatt", "distinctive_terms"]
    assert "zölle" in german and not {"die", "der", "für"} & set(german)


def article(i, outlet, text, story_lang="en", **extra):
    return {"id": f"a{i}", "outlet": outlet, "country": extra.get("country", "US"), "language": story_lang,
            "published_at": f"2025-08-0{i}T10:00:00Z", "title": f"Headline {i}", "text": text,
            "title_en": extra.get("title_en"), "text_en": extra.get("text_en"), "url": None, "extra": {}}


def test_takes_give_one_row_per_outlet_of_multi_outlet_stories():
    articles = pd.DataFrame([
        article(1, "Capitol Ledger", "Trump set a deadline. Tariffs loom on oil buyers. Markets wait."),
        article(2, "Capitol Ledger", "A second piece on tariffs."),
        article(3, "Moskovsky Vestnik", "Переговоры прошли конструктивно. Кремль доволен.", "ru",
                country="RU", title_en="Talks constructive",
                text_en="Talks were constructive. The Kremlin is pleased."),
        article(4, "Kanto Evening Post", "A local story only one outlet ran."),
    ])
    members = pd.DataFrame({"article_id": ["a1", "a2", "a3", "a4"], "story_id": ["s1", "s1", "s1", "s2"]})
    takes = alternative_takes(articles, members)
    assert list(takes["outlet"]) == ["Capitol Ledger", "Moskovsky Vestnik"]
    ledger, vestnik = takes.iloc[0], takes.iloc[1]
    assert ledger["lede"] == "Trump set a deadline. Tariffs loom on oil buyers."
    assert ledger["article_ids"] == ["a1", "a2"] and ledger["headline_en"] is None
    assert "tariffs" in ledger["distinctive_terms"]
    assert vestnik["lede"] == "Переговоры прошли конструктивно. Кремль доволен."
    assert vestnik["lede_en"] == "Talks were constructive. The Kremlin is pleased."
    assert "kremlin" in " ".join(vestnik["distinctive_terms"])


def test_an_outlets_copies_of_one_article_are_read_once_and_another_outlets_copy_is_not_left_out():
    from perspectives.framing.takes import multi_outlet_stories

    text = "Trump set a deadline for Moscow. Tariffs loom on oil buyers. Markets wait for Friday."
    articles = pd.DataFrame([
        article(1, "Capitol Ledger", text),
        # the same article at a second link, and updated with a new opening line, later that day
        {**article(1, "Capitol Ledger", text), "id": "a1-print"},
        {**article(1, "Capitol Ledger", "Moscow has not answered.\n" + text), "id": "a1-update",
         "title": "Deadline nears", "published_at": "2025-08-01T18:00:00Z"},
        # the Ledger's own report of the next day repeats it: not a copy
        {**article(2, "Capitol Ledger", text), "id": "a2"},
        # a wire copy on the same day: another outlet's, a voice of its own
        {**article(3, "Harbour Gazette", text), "published_at": "2025-08-01T12:00:00Z"},
    ])
    members = pd.DataFrame({"article_id": articles["id"], "story_id": "s1"})
    [(story_id, story)] = multi_outlet_stories(articles, members)
    assert [a["id"] for a in story] == ["a1", "a3", "a2"]  # in time order
    takes = alternative_takes(articles, members)
    assert takes.set_index("outlet").loc["Capitol Ledger", "article_ids"] == ["a1", "a2"]


def test_an_untitled_take_shows_the_headline_line_its_text_opens_with():
    articles = pd.DataFrame([
        article(1, "Capitol Ledger", "Trump Sets Deadline For Putin\nTariffs loom on oil buyers. Markets wait."),
        article(2, "Harbour Gazette", "Deadline looms for Moscow over Ukraine\nOil buyers brace. Markets are calm."),
    ]).assign(title="")
    members = pd.DataFrame({"article_id": ["a1", "a2"], "story_id": "s1", "wire_group": None})
    ledger = alternative_takes(articles, members).set_index("outlet").loc["Capitol Ledger"]
    assert ledger["headline"] == "Trump Sets Deadline For Putin"
    assert ledger["lede"] == "Tariffs loom on oil buyers. Markets wait."


@pytest.mark.parametrize("predicted, gold, expected", [
    ([1, 1, 2, 2], [1, 1, 2, 2], (1.0, 1.0, 1.0)),
    ([1, 1, 1, 1], [1, 1, 2, 2], (0.5, 1.0, 2 / 3)),
    ([1, 2, 3, 4], [1, 1, 2, 2], (1.0, 0.5, 2 / 3)),
    # a = {0,1,2}, gold {0,1},{2,3}: precisions 2/3,2/3,1/3,1 ; recalls 1,1,1/2,1/2
    ([1, 1, 1, 2], [1, 1, 2, 2], (2 / 3, 3 / 4, 12 / 17)),
])
def test_bcubed_on_hand_computed_cases(predicted, gold, expected):
    precision, recall, f1 = bcubed(predicted, gold)
    assert precision == pytest.approx(expected[0], abs=1e-4)
    assert recall == pytest.approx(expected[1])
    assert f1 == pytest.approx(expected[2])


@pytest.mark.parametrize("predicted, gold, expected", [
    ([1, 1, 2, 2], [1, 1, 2, 2], (1.0, 1.0, 1.0)),
    # predicted pairs: (0,1),(0,2),(1,2) ; gold pairs: (0,1),(2,3) ; shared: (0,1)
    ([1, 1, 1, 2], [1, 1, 2, 2], (1 / 3, 1 / 2, 0.4)),
    ([1, 2, 3, 4], [1, 1, 2, 2], (1.0, 0.0, 0.0)),
])
def test_pairwise_on_hand_computed_cases(predicted, gold, expected):
    assert pairwise(predicted, gold) == pytest.approx(expected)


def test_a_margin_interval_holds_zero_only_where_the_difference_rests_on_few_stories():
    gold = np.repeat(np.arange(20), 4)
    one_split = np.where(np.arange(80) < 2, 100, gold)  # the first story cut in halves
    all_split = np.arange(80) // 2
    low, high = bcubed_margin_interval(gold, one_split, gold)
    assert low == 0.0 < high  # the split story is left out of some draws: then the two agree
    assert bcubed_margin_interval(gold, all_split, gold)[0] > 0.2
    assert bcubed_margin_interval(all_split, gold, gold) == pytest.approx(
        tuple(-bound for bound in reversed(bcubed_margin_interval(gold, all_split, gold))))
    assert bcubed_margin_interval(one_split, one_split, gold) == (0.0, 0.0)


def test_grouping_report_counts_stories_and_singletons():
    report = grouping_report(["a", "a", "b", "c"], [1, 1, 2, 2])
    assert (report["stories"], report["gold_stories"], report["articles"]) == (3, 2, 4)
    assert report["single_article_share"] == pytest.approx(2 / 3)
    assert report["ari"] == pytest.approx(0.5714, abs=1e-4)
    perfect = grouping_report([5, 5, 7], ["x", "x", "y"])
    assert perfect["ari"] == perfect["ami"] == perfect["bcubed_f1"] == 1.0


def test_a_terms_evidence_is_the_first_text_that_counts_it_and_later_texts_are_not_read():
    scorer = FightinWords()
    read = []

    def texts():
        for text in ["Ceasefire talks began.", "Prices, talks and ceasefire talks went on.", "Air strikes.", "Never."]:
            read.append(text)
            yield text

    found = scorer.first_use(["ceasefire talks", "prices", "air strikes", "absent"], texts())
    assert found == {"ceasefire talks": "Ceasefire talks began.",
                     "prices": "Prices, talks and ceasefire talks went on.", "air strikes": "Air strikes."}
    assert scorer.first_use(["prices talks"], ["Prices, talks."]) == {}  # a comma breaks the n-gram
    found = scorer.first_use(["talks"], texts())
    assert found == {"talks": "Ceasefire talks began."}
    assert read.count("Air strikes.") == 1  # the second search stopped after its first text
