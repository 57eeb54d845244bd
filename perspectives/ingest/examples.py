"""A five-article corpus for the docstrings' examples and quick tries: two events, three outlets (the project's own
writing)."""

from __future__ import annotations

import tempfile
from pathlib import Path

EXAMPLE_CSV = """id,outlet,country,language,published_at,event,title,text
q1,Ledger,US,en,2025-08-04,quake,Quake topples buildings in Izmir,A 6.1 quake hit Izmir on Monday.
q2,Courrier,FR,en,2025-08-04,quake,Izmir quake injures dozens,The Izmir quake injured dozens on Monday.
q3,Posten,SE,en,2025-08-05,quake,Rescuers search Izmir rubble,Rescuers in Izmir searched all night.
r1,Ledger,US,en,2025-08-05,rates,Central bank lifts rates to 5%,The central bank raised rates to 5% on Tuesday.
r2,Courrier,FR,en,2025-08-05,rates,Rate rise to 5% hits markets,Markets fell as the bank raised rates to 5%.
"""


def example_corpus(folder: str | Path | None = None) -> Path:
    """Write the example corpus as `folder/articles.csv` (default: in a new temporary folder) and return its path.
    Its `event` column names each article's event (a gold story to score a grouping against).

    >>> corpus = example_corpus()
    >>> print(corpus.read_text().splitlines()[1])
    q1,Ledger,US,en,2025-08-04,quake,Quake topples buildings in Izmir,A 6.1 quake hit Izmir on Monday.
    """
    path = Path(tempfile.mkdtemp() if folder is None else folder) / "articles.csv"
    path.write_text(EXAMPLE_CSV, encoding="utf-8")
    return path
