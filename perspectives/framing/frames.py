"""Frames: the 15 dimensions of the Media Frames Corpus (Card et al. 2015), scored per outlet.

Method (zero-shot, no training data): each frame is described by a few sentences written from the codebook's
definition; a sentence belongs to the frame its embedding is most similar to, when that similarity reaches
`min_similarity` (else to "Other"). An outlet's score for a frame is the share of its sentences in that frame.
Limits: this measures which aspects an outlet dwells on, sentence by sentence; it has not been trained or validated
on the Media Frames Corpus annotations, it sees one sentence at a time, and it inherits the embedding model's
language limits (English view of each article).
"""

from __future__ import annotations

import numpy as np

from perspectives.embed.embedder import embed_texts
from perspectives.framing.sentences import records

FRAME_COLUMNS = ["story_id", "outlet", "frame", "score", "sentence"]

FRAMES: dict[str, list[str]] = {
    "Economic": ["The costs, benefits and financial consequences for the economy, markets, prices, trade and jobs.",
                 "Tariffs would raise prices and hurt exports, and oil markets reacted."],
    "Capacity & resources": ["Whether there are enough resources, money, staff, equipment or capacity to cope.",
                             "Rescue teams lacked equipment and the shelters ran out of space."],
    "Morality": ["Religious or ethical judgement: what is right or wrong, moral duty, good and evil.",
                 "It is a moral obligation to protect innocent people; this is simply wrong."],
    "Fairness & equality": ["Fairness, equality and justice in how burdens or rights are distributed among groups.",
                            "The measure unfairly singles out one country while others are spared."],
    "Legality": ["Legal and constitutional questions: courts, laws, rulings, rights and jurisdiction.",
                 "The court ruled that states have legal obligations under international law."],
    "Policy prescription": ["Proposed policies and solutions, and judgements of whether a policy will work.",
                            "The government proposed a plan and said new measures would solve the problem."],
    "Crime & punishment": ["Crime, violations of law, enforcement, sanctions as punishment, and penalties.",
                           "Those responsible will be punished, and the perpetrators must face justice."],
    "Security & defense": ["Threats to security, military action, war, attacks, defence and protection of a nation.",
                           "Missiles and drones struck the city overnight as troops held the front line."],
    "Health & safety": ["Health care, injuries, deaths, disease, disasters and the safety of people.",
                        "Dozens were injured, people were evacuated and hospitals treated the wounded."],
    "Quality of life": ["Effects on people's daily lives, wellbeing, homes, communities and routines.",
                        "Families left their homes and daily life in the town came to a halt."],
    "Cultural identity": ["Traditions, customs, national identity, values and culture of a people.",
                          "The victory became a moment of national pride and a symbol of the nation's identity."],
    "Public opinion": ["The attitudes of the public, polls, protests, voters and popular reaction.",
                       "Polls show most voters oppose the deal, and protesters gathered in the capital."],
    "Political": ["Political strategy, parties, elections, leaders' power, negotiations and diplomacy.",
                  "The president's leverage in talks and the coalition's loss of its majority."],
    "External regulation & reputation": ["A country's standing abroad, international relations, foreign pressure "
                                         "and reputation.",
                                         "The decision damaged the country's reputation with its allies abroad."],
}
OTHER = "Other"


class FrameScorer:
    """Zero-shot frame assignment by sentence-embedding similarity to frame descriptions."""

    def __init__(self, embedder, min_similarity: float = 0.25, evidence: int = 2, store=None):
        self.embedder = embedder
        self.store = store  # caches the descriptions' vectors like any text's
        self.min_similarity = min_similarity
        self.evidence = evidence
        self._centroids: np.ndarray | None = None

    def centroids(self) -> np.ndarray:
        if self._centroids is None:
            vectors = [embed_texts(texts, self.embedder, self.store, progress=False)[0].mean(axis=0)
                       for texts in FRAMES.values()]
            stacked = np.vstack(vectors)
            self._centroids = stacked / np.linalg.norm(stacked, axis=1, keepdims=True)
        return self._centroids

    def assign(self, vectors: np.ndarray) -> tuple[list[str], np.ndarray]:
        """The frame of each sentence vector and its similarity to that frame."""
        if len(vectors) == 0:
            return [], np.zeros(0)
        similarity = vectors @ self.centroids().T
        best, score = similarity.argmax(axis=1), similarity.max(axis=1)
        names = list(FRAMES)
        return [names[b] if s >= self.min_similarity else OTHER for b, s in zip(best, score)], score

    def rows(self, sentences, vectors: np.ndarray) -> list[dict]:
        """Per outlet and frame: the share of the outlet's sentences in the frame, with its top evidence sentences."""
        frames, score = self.assign(vectors)
        by_outlet: dict[str, list[dict]] = {}
        for sentence, frame, similarity in zip(records(sentences), frames, score):
            by_outlet.setdefault(sentence["outlet"], []).append({**sentence, "frame": frame, "similarity": similarity})
        rows = []
        for outlet, own in by_outlet.items():
            for frame in FRAMES:
                in_frame = sorted((s for s in own if s["frame"] == frame), key=lambda s: -s["similarity"])
                share = round(len(in_frame) / len(own), 4)
                rows += [{"story_id": s["story_id"], "outlet": outlet, "frame": frame, "score": share,
                          "sentence": s["sentence"]} for s in in_frame[: self.evidence]]
        return rows
