"""The story page's tabs. `prepare_view` builds every table and chart once (the app caches it per story);
the tab functions only lay them out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from perspectives.app.render import block, counted, country_row, inert, plotly_label, plotly_text, shown_time, takes_row
from perspectives.framing import ANALYSES, TABLES, StoryAnalysis
from perspectives.framing.claims import claim_id
from perspectives.framing.tone import WHOLE_ARTICLE
from perspectives.report import csv_text

CLAIM_COLOURS = {"states it": "#2b8a3e", "only this outlet": "#e67700", "omits it": "#ffc9c9", "—": "#dee2e6"}


@dataclass
class StoryView:
    analysis: StoryAnalysis
    articles: pd.DataFrame
    claim_grid: pd.DataFrame
    per_country: dict[str, pd.DataFrame]
    charts: dict[str, go.Figure]


def claim_grid(analysis: StoryAnalysis, limit: int = 40) -> pd.DataFrame:
    """Claims x outlets as rows for a clickable matrix: whether the outlet states the claim, with its sentence."""
    matrix, rows_by_sentence = analysis.claim_matrix, analysis.sentences
    assert matrix is not None and rows_by_sentence is not None  # the analyser sets both for every story
    carriers = (matrix > 0).sum(axis=1).sort_values(ascending=False, kind="stable")
    sentences = rows_by_sentence.drop_duplicates(["claim", "outlet"]).set_index(["claim", "outlet"])["sentence"]
    first = rows_by_sentence.drop_duplicates("claim").set_index("claim")["sentence"]
    rows = []
    for claim in carriers.index[:limit]:
        label = f"c{claim:03d} " + (first[claim][:70] + ("…" if len(first[claim]) > 70 else ""))
        for outlet in matrix.columns:
            states = matrix.loc[claim, outlet] > 0
            if carriers[claim] > 1:
                status = "states it" if states else "omits it"
            else:
                status = "only this outlet" if states else "—"
            rows.append({"claim_id": claim_id(analysis.story_id, claim), "claim": label, "outlet": outlet,
                         "status": status, "sentence": sentences.get((claim, outlet)) if states else first[claim]})
    return pd.DataFrame(rows)


def prepare_view(analysis: StoryAnalysis, articles: pd.DataFrame) -> StoryView:
    """Every chart is drawn from `plotly_text` copies: the data's text must not reach plotly as markup."""
    grid = claim_grid(analysis)
    charts = {}
    # A clicked cell is known by its row in the grid, so no text has to come back from the chart.
    claims = px.scatter(plotly_text(grid).assign(row=range(len(grid))), x="outlet", y="claim", color="status",
                        color_discrete_map=CLAIM_COLOURS, custom_data=["row"],
                        hover_data={"sentence": True, "claim": False, "row": False},
                        height=max(360, 22 * grid["claim"].nunique() + 160))
    claims.update_traces(marker={"symbol": "square", "size": 16})
    claims.update_layout(yaxis={"autorange": "reversed", "title": None}, xaxis={"title": None, "side": "top"},
                         legend_title_text=None, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    charts["claims"] = claims
    sources, tone, frames = (plotly_text(t) for t in (analysis.sources, analysis.tone, analysis.frames))
    if not sources.empty:
        counts = sources.groupby(["outlet", "kind"]).size().rename("count").reset_index()
        charts["sources"] = px.bar(counts, x="count", y="outlet", color="kind", orientation="h", height=360,
                                   title="Quotes and attributions per outlet")
    overall = tone[tone["actor"] == WHOLE_ARTICLE].groupby("outlet", as_index=False)["tone"].mean()
    charts["tone"] = px.bar(overall.sort_values("tone"), x="tone", y="outlet", orientation="h", range_x=[-1, 1],
                            height=360, title="Tone of each outlet's coverage (VADER, -1 to 1)")
    toward = tone[tone["actor"] != WHOLE_ARTICLE].groupby(["outlet", "actor"], as_index=False)["tone"].mean()
    if not toward.empty:
        charts["tone_by_actor"] = px.density_heatmap(toward, x="actor", y="outlet", z="tone", histfunc="avg",
                                                     range_color=[-1, 1], color_continuous_scale="RdBu",
                                                     title="Tone toward each actor", height=420)
    if not frames.empty:
        shares = frames.drop_duplicates(["outlet", "frame"])
        charts["frames"] = px.bar(shares, x="score", y="outlet", color="frame", orientation="h", height=420,
                                  title="Share of each outlet's sentences per frame (Media Frames Corpus dimensions)")
    dated = plotly_text(articles).assign(published=pd.to_datetime(articles["published_at"], utc=True,
                                                                  errors="coerce"))
    charts["timeline"] = px.scatter(dated.dropna(subset=["published"]), x="published", y="outlet", color="country",
                                    hover_data=["title"], height=360, title="How coverage spread")
    return StoryView(analysis, articles, grid, analysis.per_country(), charts)


def story_tabs(view: StoryView, coverage_map) -> None:
    """Every analysis of one story, a tab each; `coverage_map(key)` draws the story's map."""
    cut_note(view.analysis.cuts)
    views = tab_views(coverage_map)
    for tab, draw in zip(st.tabs(list(views)), views.values()):
        with tab:
            draw(view)


def tab_views(coverage_map) -> dict[str, Callable[[StoryView], None]]:
    """Tab title -> what it draws: the built-in views, then a table tab for each registered analysis that names a
    tab of its own (`perspectives.framing.registry`), then Export."""
    views: dict[str, Callable[[StoryView], None]] = {
        "Alternative Takes": takes_tab, "Map": lambda view: coverage_map("story_map"), "Claims": claims_tab,
        "Wording": wording_tab, "Sources": sources_tab, "Tone": tone_tab, "Frames": frames_tab, "Actors": actors_tab,
        "Timeline": timeline_tab}
    for analysis in ANALYSES.values():
        if analysis.tab and analysis.tab not in views:
            views[analysis.tab] = partial(table_tab, name=analysis.name)
    views["Export"] = export_tab
    return views


def table_tab(view: StoryView, name: str) -> None:
    """A registered analysis' table as it is (its text shown as data, never as markup)."""
    st.dataframe(view.analysis.tables[name], hide_index=True, width="stretch")


def cut_note(cuts: pd.DataFrame) -> None:
    """Say which articles the analyses did not read to the end (`cuts` table), so no finding looks complete when
    it is not."""
    if cuts.empty:
        return
    outlets = ", ".join(cuts["outlet"].drop_duplicates())
    show_html(block("p", f"{counted(len(cuts), 'article', 'articles')} too long to analyse whole ({outlets}): "
                         f"{int(cuts['dropped'].sum()):,} later sentences were left out of claims, sources, tone "
                         "and frames. The cuts table is under Export.", lead="Not read to the end."))


def show_html(markup: str) -> None:
    """Show markup built by `perspectives.app.render` (every piece of text in it made inert)."""
    st.markdown(markup, unsafe_allow_html=True)


def takes_cards(takes: pd.DataFrame) -> None:
    show_html(takes_row(takes.to_dict("records")))


def takes_tab(view: StoryView) -> None:
    by = st.radio("Group takes by", ["outlet", "country"], horizontal=True, key="takes_by")
    st.caption("One column per outlet (or country); scroll sideways. Highlighted: the outlet's most distinctive "
               "terms in this story versus the other outlets (Fightin' Words z-scores). Original text first, "
               "English translation below it when the input has one.")
    if by == "outlet":
        takes_cards(view.analysis.takes)
    else:
        show_html(country_row(view.analysis.takes.to_dict("records")))


def claims_tab(view: StoryView) -> None:
    st.caption("Sentences aligned across outlets into claims. Click a cell to read the sentence behind it. "
               "Unique: only this outlet states it and it is likely to matter: its score (with a 90% interval) is "
               "the estimated chance that it is tangential, speculative or background material that sways the "
               "reader, calibrated on annotated news (BASIL); highest first. "
               "Omission: two or more others state it, this outlet does not.")
    event = st.plotly_chart(view.charts["claims"], on_select="rerun", selection_mode="points", key="claims_matrix")
    picked = [p["customdata"][0] for p in (event.selection.points if event else [])]
    if picked:
        cells = view.claim_grid.iloc[picked]
        st.dataframe(cells[["outlet", "status", "sentence"]], hide_index=True, width="stretch")
    with st.expander("Per country"):
        st.dataframe(view.per_country["claims"], width="stretch")
    claims = view.analysis.claims
    for kind, title in [("unique", "Unique claims"), ("omission", "Omissions"), ("consensus", "Consensus")]:
        rows = claims[claims["kind"] == kind]
        columns = ["outlet", "claim_id", "sentence"]
        if kind == "unique":
            rows = rows.sort_values("score", ascending=False, kind="stable")
            columns += ["score", "score_low", "score_high"]
        with st.expander(f"{title} ({len(rows)})", expanded=kind == "unique"):
            st.dataframe(rows[columns], hide_index=True, width="stretch")


def wording_tab(view: StoryView) -> None:
    st.caption("Each outlet's most distinctive terms against the other outlets of the story, with the sentence "
               "each comes from (z > 1.96 is significant at 5%). Ranked by z weighted toward labels, loaded words and "
               "names: words rare in everyday English, nouns and adjectives first.")
    st.dataframe(view.analysis.terms[["outlet", "term", "z", "sentence"]], hide_index=True, width="stretch")


def sources_tab(view: StoryView) -> None:
    if "sources" not in view.charts:
        st.info("No quotes or attributions found.")
        return
    st.plotly_chart(view.charts["sources"])
    st.dataframe(view.analysis.sources[["outlet", "source", "kind", "speaker", "sentence"]], hide_index=True,
                 width="stretch")


def tone_tab(view: StoryView) -> None:
    st.plotly_chart(view.charts["tone"])
    if "tone_by_actor" in view.charts:
        st.plotly_chart(view.charts["tone_by_actor"])
    with st.expander("Per country (mean over the country's outlets)"):
        st.dataframe(view.per_country["tone"], width="stretch")
    st.caption("Toward an actor: a model trained on NewsMTSC reads each sentence naming the actor and says neutral "
               "unless the evidence is clear; the interval is its 95% range. The whole article: VADER's lexicon.")
    st.dataframe(view.analysis.tone[["outlet", "actor", "label", "tone", "tone_low", "tone_high", "sentence"]],
                 hide_index=True, width="stretch")


def frames_tab(view: StoryView) -> None:
    if "frames" not in view.charts:
        st.info("No sentence was close enough to any frame.")
        return
    st.plotly_chart(view.charts["frames"])
    with st.expander("Per country (mean share over the country's outlets)"):
        st.dataframe(view.per_country["frames"], width="stretch")
    frames = view.analysis.frames
    outlet = st.selectbox("Evidence for outlet", sorted(frames["outlet"].unique()), key="frames_outlet")
    st.dataframe(frames[frames["outlet"] == outlet][["frame", "score", "sentence"]], hide_index=True,
                 width="stretch")


def actors_tab(view: StoryView) -> None:
    analysis = view.analysis
    if not analysis.actors:
        st.info("No actor is named by two or more outlets.")
        return
    actor = st.selectbox("Actor", analysis.actors, key="actor_picker")
    statements = analysis.actor_perspective(actor)
    tone = analysis.tone[analysis.tone["actor"] == actor].groupby("outlet", as_index=False)["tone"].mean()
    if not tone.empty:
        st.plotly_chart(px.bar(plotly_text(tone), x="tone", y="outlet", orientation="h", range_x=[-1, 1],
                               height=320, title=f"Tone toward {plotly_label(actor)}"))
    show_html(f"<p><b>What each outlet says {inert(actor)} said or did</b></p>")
    st.dataframe(statements[["outlet", "kind", "sentence", "tone_toward_actor"]], hide_index=True, width="stretch")


def timeline_tab(view: StoryView) -> None:
    first = view.analysis.timeline.iloc[0]
    show_html(f"<p>First: <b>{inert(first['outlet'])}</b> ({inert(first['country'])}) at "
              f"{inert(shown_time(first['published_at']))}</p>")
    st.plotly_chart(view.charts["timeline"])
    timeline = view.analysis.timeline.assign(published_at=view.analysis.timeline["published_at"].map(shown_time))
    st.dataframe(timeline[["rank", "outlet", "country", "published_at", "hours_after_first"]],
                 hide_index=True, width="stretch")


def export_tab(view: StoryView) -> None:
    st.caption("Download this story's tables as CSV.")
    for name in TABLES:
        table = view.analysis.tables[name]
        st.download_button(f"{name}.csv ({len(table)} rows)", csv_text(table).encode("utf-8"),
                           file_name=f"{view.analysis.story_id}-{name}.csv", mime="text/csv", key=f"export_{name}")
