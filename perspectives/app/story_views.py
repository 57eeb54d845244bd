"""The story page's tabs: one function per analysis, each reading a StoryAnalysis."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from perspectives.app.render import country_row, takes_row
from perspectives.framing import TABLES, StoryAnalysis
from perspectives.framing.tone import WHOLE_ARTICLE

TABS = ["Alternative Takes", "Map", "Claims", "Wording", "Sources", "Tone", "Frames", "Actors", "Timeline", "Export"]


def story_tabs(analysis: StoryAnalysis, articles: pd.DataFrame, coverage_map) -> None:
    """Every analysis of one story, a tab each; `coverage_map(key)` draws the story's map."""
    views = [takes_tab, lambda a: coverage_map("story_map"), claims_tab, wording_tab, sources_tab, tone_tab,
             frames_tab, actors_tab, lambda a: timeline_tab(a, articles), export_tab]
    for tab, view in zip(st.tabs(TABS), views):
        with tab:
            view(analysis)


def takes_cards(takes: pd.DataFrame) -> None:
    st.markdown(takes_row(takes.to_dict("records")), unsafe_allow_html=True)


def takes_tab(analysis: StoryAnalysis) -> None:
    by = st.radio("Group takes by", ["outlet", "country"], horizontal=True, key="takes_by")
    st.caption("One column per outlet (or country); scroll sideways. Highlighted: the outlet's most distinctive "
               "terms in this story versus the other outlets (Fightin' Words z-scores). Original text first, "
               "English translation below it when the input has one.")
    if by == "outlet":
        takes_cards(analysis.takes)
    else:
        st.markdown(country_row(analysis.takes.to_dict("records")), unsafe_allow_html=True)


def claim_grid(analysis: StoryAnalysis, limit: int = 40) -> pd.DataFrame:
    """Claims x outlets as rows for a clickable matrix: whether the outlet states the claim, with its sentence."""
    matrix = analysis.claim_matrix
    carriers = (matrix > 0).sum(axis=1).sort_values(ascending=False, kind="stable")
    sentences = analysis.sentences.drop_duplicates(["claim", "outlet"]).set_index(["claim", "outlet"])["sentence"]
    first = analysis.sentences.drop_duplicates("claim").set_index("claim")["sentence"]
    rows = []
    for claim in carriers.index[:limit]:
        label = f"c{claim:03d} " + (first[claim][:70] + ("…" if len(first[claim]) > 70 else ""))
        for outlet in matrix.columns:
            states = matrix.loc[claim, outlet] > 0
            if carriers[claim] > 1:
                status = "states it" if states else "omits it"
            else:
                status = "only this outlet" if states else "—"
            rows.append({"claim_id": f"{analysis.story_id}-c{claim:03d}", "claim": label, "outlet": outlet,
                         "status": status, "sentence": sentences.get((claim, outlet)) if states else first[claim]})
    return pd.DataFrame(rows)


def export_tab(analysis: StoryAnalysis) -> None:
    st.caption("Download this story's tables as CSV.")
    for name in TABLES:
        table = getattr(analysis, name)
        st.download_button(f"{name}.csv ({len(table)} rows)", table.to_csv(index=False).encode("utf-8"),
                           file_name=f"{analysis.story_id}-{name}.csv", mime="text/csv", key=f"export_{name}")


def claims_tab(analysis: StoryAnalysis) -> None:
    st.caption("Sentences aligned across outlets into claims. Click a cell to read the sentence behind it. "
               "Unique: only this outlet states it. Omission: two or more others state it, this outlet does not.")
    grid = claim_grid(analysis)
    colours = {"states it": "#2b8a3e", "only this outlet": "#e67700", "omits it": "#ffc9c9", "—": "#dee2e6"}
    figure = px.scatter(grid, x="outlet", y="claim", color="status", color_discrete_map=colours,
                        custom_data=["claim_id", "outlet"], hover_data={"sentence": True, "claim": False},
                        height=max(360, 22 * grid["claim"].nunique() + 160))
    figure.update_traces(marker={"symbol": "square", "size": 16})
    figure.update_layout(yaxis={"autorange": "reversed", "title": None}, xaxis={"title": None, "side": "top"},
                         legend_title_text=None, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    event = st.plotly_chart(figure, on_select="rerun", selection_mode="points", key="claims_matrix")
    picked = [tuple(p["customdata"][:2]) for p in (event.selection.points if event else [])]
    if picked:
        cells = grid.set_index(["claim_id", "outlet"]).loc[picked].reset_index()
        st.dataframe(cells[["outlet", "status", "sentence"]], hide_index=True, width="stretch")
    kinds = analysis.claims
    with st.expander("Per country"):
        st.dataframe(analysis.per_country()["claims"], width="stretch")
    for kind, title in [("unique", "Unique claims"), ("omission", "Omissions"), ("consensus", "Consensus")]:
        rows = kinds[kinds["kind"] == kind]
        with st.expander(f"{title} ({len(rows)})", expanded=kind == "unique"):
            st.dataframe(rows[["outlet", "claim_id", "sentence"]], hide_index=True, width="stretch")


def wording_tab(analysis: StoryAnalysis) -> None:
    st.caption("Each outlet's most distinctive terms against the other outlets of the story, with the sentence "
               "each comes from (z > 1.96 is significant at 5%).")
    st.dataframe(analysis.terms[["outlet", "term", "z", "sentence"]], hide_index=True, width="stretch")


def sources_tab(analysis: StoryAnalysis) -> None:
    sources = analysis.sources
    if sources.empty:
        st.info("No quotes or attributions found.")
        return
    counts = sources.groupby(["outlet", "kind"]).size().rename("count").reset_index()
    st.plotly_chart(px.bar(counts, x="count", y="outlet", color="kind", orientation="h", height=360,
                           title="Quotes and attributions per outlet"))
    st.dataframe(sources[["outlet", "source", "kind", "speaker", "sentence"]], hide_index=True, width="stretch")


def tone_tab(analysis: StoryAnalysis) -> None:
    tone = analysis.tone
    overall = tone[tone["actor"] == WHOLE_ARTICLE].groupby("outlet", as_index=False)["tone"].mean()
    st.plotly_chart(px.bar(overall.sort_values("tone"), x="tone", y="outlet", orientation="h", range_x=[-1, 1],
                           height=360, title="Tone of each outlet's coverage (VADER, -1 to 1)"))
    toward = tone[tone["actor"] != WHOLE_ARTICLE].groupby(["outlet", "actor"], as_index=False)["tone"].mean()
    if not toward.empty:
        st.plotly_chart(px.density_heatmap(toward, x="actor", y="outlet", z="tone", histfunc="avg", range_color=[-1, 1],
                                           color_continuous_scale="RdBu", title="Tone toward each actor",
                                           height=420))
    with st.expander("Per country (mean over the country's outlets)"):
        st.dataframe(analysis.per_country()["tone"], width="stretch")
    st.dataframe(tone[["outlet", "actor", "tone", "sentence"]], hide_index=True, width="stretch")


def frames_tab(analysis: StoryAnalysis) -> None:
    frames = analysis.frames
    if frames.empty:
        st.info("No sentence was close enough to any frame.")
        return
    shares = frames.drop_duplicates(["outlet", "frame"])
    st.plotly_chart(px.bar(shares, x="score", y="outlet", color="frame", orientation="h", height=420,
                           title="Share of each outlet's sentences per frame (Media Frames Corpus dimensions)"))
    with st.expander("Per country (mean share over the country's outlets)"):
        st.dataframe(analysis.per_country()["frames"], width="stretch")
    outlet = st.selectbox("Evidence for outlet", sorted(shares["outlet"]), key="frames_outlet")
    st.dataframe(frames[frames["outlet"] == outlet][["frame", "score", "sentence"]], hide_index=True,
                 width="stretch")


def actors_tab(analysis: StoryAnalysis) -> None:
    if not analysis.actors:
        st.info("No actor is named by two or more outlets.")
        return
    actor = st.selectbox("Actor", analysis.actors, key="actor_picker")
    view = analysis.actor_perspective(actor)
    tone = analysis.tone[analysis.tone["actor"] == actor].groupby("outlet", as_index=False)["tone"].mean()
    if not tone.empty:
        st.plotly_chart(px.bar(tone, x="tone", y="outlet", orientation="h", range_x=[-1, 1], height=320,
                               title=f"Tone toward {actor}"))
    st.markdown(f"**What each outlet says {actor} said or did**")
    st.dataframe(view[["outlet", "kind", "sentence", "tone_toward_actor"]], hide_index=True, width="stretch")


def timeline_tab(analysis: StoryAnalysis, articles: pd.DataFrame) -> None:
    timeline = analysis.timeline
    first = timeline.iloc[0]
    st.markdown(f"First: **{first['outlet']}** ({first['country']}) at {first['published_at']}")
    dated = articles.assign(published=pd.to_datetime(articles["published_at"], utc=True, errors="coerce"))
    st.plotly_chart(px.scatter(dated.dropna(subset=["published"]), x="published", y="outlet", color="country",
                               hover_data=["title"], height=360, title="How coverage spread"))
    st.dataframe(timeline[["rank", "outlet", "country", "published_at", "hours_after_first"]], hide_index=True,
                 width="stretch")
