"""CPU time of the text rules on hostile input at 1x, 2x and 4x size: linear rules double, quadratic ones quadruple.

`python benchmarks/hostile.py` (from the repository root). Each case is text built against one pattern that used to
backtrack; the last column is the time at 4x over the time at 1x (about 4 when linear, 16 when quadratic).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from perspectives.framing.actors import find_actors  # noqa: E402
from perspectives.framing.sources import attributions  # noqa: E402
from perspectives.text import sentences  # noqa: E402

QUOTE = '"We will not accept this deal under any circumstances."'
CASES = {  # name: (the text at size k, the function timed)
    "capitalised run before a quote": (lambda k: "Aa " * (33000 * k) + QUOTE, attributions),
    "whitespace after a quote": (lambda k: QUOTE + " " * (100_000 * k) + "Helen Marsh said.", attributions),
    "quotes without a full stop": (lambda k: '"We will not accept this deal" said Helen Marsh, and ' * (2000 * k),
                                   attributions),
    "titles before a name": (lambda k: "British " * (33000 * k) + "Marsh said the talks had failed", attributions),
    "actors in a capitalised run": (lambda k: [{"sentence": "Aa " * (33000 * k), "outlet": "A"}], find_actors),
    "text without full stops": (lambda k: "word " * (100_000 * k), sentences),
}


def cpu_seconds(function, argument) -> float:
    start = time.process_time()
    function(argument)
    return time.process_time() - start


def main() -> None:
    print(f"{'case':32s} {'1x (s)':>8s} {'2x (s)':>8s} {'4x (s)':>8s} {'4x/1x':>6s}")
    for name, (make, function) in CASES.items():
        seconds = [cpu_seconds(function, make(k)) for k in (1, 2, 4)]
        print(f"{name:32s} {seconds[0]:8.3f} {seconds[1]:8.3f} {seconds[2]:8.3f} {seconds[2] / max(seconds[0], 1e-6):6.1f}")


if __name__ == "__main__":
    main()
