"""The best results of a query without scoring every match.

FTS5's ``bm25()`` is computed for every matching row before SQLite can sort: on a news site
a query made of common words ("Қазақстан", "президент") matches most of the archive, and
scoring 10,000 matches costs ~20 ms before the first result is known. This module ranks the
same way (BM25 exactly as FTS5 computes it, same column weights, same IDF) but looks only at
the documents that can still make the first page:

* **Champion lists.** For every phrase the index can be asked for (an exact term in the title
  and body columns, or a loose key in the loose columns), the index keeps the documents with
  the highest BM25 term weight ("impact"), best first: the classic champion or top-docs list
  of information retrieval. Lists keep at least :data:`KEEP` entries and are trimmed back to
  it when they reach twice that; the impact of the best entry trimmed away is kept as the
  list's *floor*, an upper bound for every document not in the list.
* **The threshold algorithm** (Fagin, Lotem and Naor). The lists of the query's phrases are
  read in parallel, best first; every document met is scored exactly from its stored terms.
  A document not met yet scores at most ``Σ idf × (impact at the current depth)``, so once
  enough met documents score above that bound the answer is final and exact.

Impacts depend on the average document length, which moves as the archive grows: they are
computed with the average length the index started with (``avgdl0``), and the bound is
widened by ``max(1, avgdl / avgdl0)``, which keeps it a true upper bound (a larger average
only lowers the length penalty, by at most that factor). When the bound cannot be reached
within the lists (a narrow filter, a deep page, a list trimmed below the documents needed)
the caller falls back to scoring every match with FTS5: the answer is the same, only slower.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

#: FTS5's BM25 parameters (fts5_aux.c), so scores equal ``bm25()``'s.
K1 = 1.2
B = 0.75
#: Entries kept per champion list (trimmed back to this when a list reaches twice as many).
KEEP = 256
#: Entries read from each list per round of the threshold algorithm.
STEP = 16
#: Queries whose pages with every word are at most this many score those with FTS5 first
#: (cheap for few matches) and look only for the rest of the page in the lists.
SMALL_FIRST_TIER = 1000
#: Documents scored before giving up and letting FTS5 score every match.
MAX_SCORED = 1500

#: Column weights (title, body, title loose, body loose) and the two column sets a phrase
#: is searched in: an exact term in title+body ("t"), a loose key in the loose columns ("l").
WEIGHTS = (10.0, 1.0, 4.0, 0.4)
KINDS = {"t": (0, 1), "l": (2, 3)}


#: Any character but letters, digits, the space and the hyphen (``\w`` is ``isalnum`` plus ``_``).
_SEPARATOR = re.compile(r"[^\w -]|_")


def clean_terms(text: str) -> str:
    """Terms as FTS5's unicode61 tokenizer reads them: lower case, one space between.

    Any character that tokenizer treats as a separator (everything but letters, digits and
    the hyphen, which the index declares a token character) becomes a space, so counting a
    term in the stored column here finds exactly what FTS5 matches."""
    lowered = text.lower()
    if _SEPARATOR.search(lowered):
        lowered = "".join(ch if ch.isalnum() or ch == "-" else " " for ch in lowered)
    return " ".join(lowered.split())


def is_simple(term: str) -> bool:
    """A term FTS5 reads as one token (so a phrase of it is that one token)."""
    return bool(term) and term == term.lower() and all(ch.isalnum() or ch == "-" for ch in term)


def token_count(column: str) -> int:
    return column.count(" ") + 1 if column else 0


def impact(f: float, dl: int, avgdl: float) -> float:
    """BM25's term weight without the IDF: ``f·(k1+1) / (f + k1·(1 - b + b·dl/avgdl))``."""
    return f * (K1 + 1.0) / (f + K1 * (1.0 - B + B * dl / avgdl))


def idf(n_docs: int, df: int) -> float:
    """FTS5's IDF, floored at 1e-6 as FTS5 does for words in more than half the rows."""
    value = math.log((n_docs - df + 0.5) / (df + 0.5)) if n_docs else 0.0
    return value if value > 0.0 else 1e-6


def phrase_weights(columns: Sequence[str]) -> tuple[dict[str, float], int]:
    """Every phrase key of one document with its weighted frequency, and the document length."""
    weights: dict[str, float] = {}
    for kind, (a, b) in KINDS.items():
        wa, wb = WEIGHTS[a], WEIGHTS[b]
        ca, cb = Counter(columns[a].split()), Counter(columns[b].split())
        for term in ca.keys() | cb.keys():
            weights[f"{kind} {term}"] = wa * ca.get(term, 0) + wb * cb.get(term, 0)
    return weights, sum(token_count(c) for c in columns)


@dataclass(frozen=True)
class Phrase:
    key: str  # "t term" or "l key"
    group: int  # which query word it belongs to

    @property
    def kind(self) -> str:
        return self.key[0]

    @property
    def term(self) -> str:
        return self.key[2:]


def weighted_frequency(phrase: Phrase, padded: Sequence[str]) -> float:
    """The phrase's frequency in one document, columns weighted (``padded``: every token
    between its own two spaces)."""
    a, b = KINDS[phrase.kind]
    needle = f" {phrase.term} "
    return WEIGHTS[a] * padded[a].count(needle) + WEIGHTS[b] * padded[b].count(needle)


@dataclass
class Candidate:
    id: int
    tier: int
    score: float
    date_ts: float | None


class ThresholdRanking:
    """The threshold algorithm over champion lists, for one language's query.

    ``read_list(pid, offset, limit)`` gives a champion list's ``(impact, doc)`` entries best
    first; ``fetch(ids)`` gives, for documents that pass the query's filters, their four
    stored columns and date: ``{id: (columns, date_ts)}``."""

    def __init__(self, phrases: Sequence[Phrase], lists: dict[str, tuple[int, float]], stats: dict[str, int],
                 *, n_docs: int, avgdl: float, avgdl0: float, groups: int, tiered: bool,
                 read_list: Callable[[int, int, int], list[tuple[float, int]]],
                 fetch: Callable[[Iterable[int]], dict[int, tuple[Sequence[str], float | None]]]):
        self.phrases = list(phrases)
        self.groups = groups
        self.tiered = tiered and groups > 1
        self.avgdl = avgdl
        self.factor = max(1.0, avgdl / avgdl0)
        self.df = stats
        self.idf = {p.key: idf(n_docs, stats.get(p.key, 0)) for p in self.phrases}
        self.lists = lists  # key -> (pid, floor)
        self.read_list = read_list
        self.fetch = fetch
        self.offsets = dict.fromkeys(lists, 0)
        self.bounds = {k: math.inf for k in lists}
        self.exhausted: set[str] = set()
        self.seen: set[int] = set()  # documents scored or ruled out
        self.pending: dict[int, dict[str, float]] = {}  # met, not scored yet: their impacts so far
        self.found: list[Candidate] = []

    def _score(self, columns: Sequence[str]) -> tuple[int, float]:
        # Each token between its own two spaces: str.count does not count overlapping
        # matches, so in " a a " the second " a " would be missed.
        padded = [f" {c.replace(' ', '  ')} " for c in columns]
        dl = sum(token_count(c) for c in columns)
        score, present = 0.0, set()
        for p in self.phrases:
            f = weighted_frequency(p, padded)
            if f:
                score += self.idf[p.key] * impact(f, dl, self.avgdl)
                present.add(p.group)
        if not present:
            return -1, 0.0
        return (0 if len(present) == self.groups or not self.tiered else 1), score

    def _round(self, kth: float) -> bool:
        """Read the next entries of every list and score the documents that can still beat
        ``kth``; False when every list is exhausted.

        A document met in some lists scores at most its impacts there plus the current bound
        of every other list; one that cannot reach the ``kth`` best score found so far is never
        read (its bound only falls as the lists go deeper, ``kth`` only rises)."""
        for key, (pid, floor) in self.lists.items():
            if key in self.exhausted:
                continue
            entries = self.read_list(pid, self.offsets[key], STEP)
            self.offsets[key] += len(entries)
            for value, doc in entries:
                if doc not in self.seen:
                    self.pending.setdefault(doc, {})[key] = value
            if len(entries) < STEP:
                self.exhausted.add(key)
                self.bounds[key] = floor
            else:
                self.bounds[key] = entries[-1][0]
        fetch = []
        for doc, known in self.pending.items():
            upper = self.factor * sum(self.idf[p.key] * known.get(p.key, self.bounds.get(p.key, 0.0))
                                      for p in self.phrases)
            if upper >= kth:
                fetch.append(doc)
        for doc in fetch:
            del self.pending[doc]
            self.seen.add(doc)
        if kth > -math.inf:
            # The rest can never make the page: forget them (seen, so later entries skip them).
            self.seen.update(self.pending)
            self.pending.clear()
        for doc, (columns, date_ts) in self.fetch(fetch).items():
            tier, score = self._score(columns)
            if tier >= 0:
                self.found.append(Candidate(doc, tier, score, date_ts))
        return len(self.exhausted) < len(self.lists)

    def first_tier_size(self) -> int:
        """At most how many documents have every word (the rarest word's frequency)."""
        return min(sum(self.df.get(k, 0) for k in {p.key for p in self.phrases if p.group == g})
                   for g in range(self.groups))

    def threshold(self) -> float:
        """The most a document not met yet can score."""
        return self.factor * sum(self.idf[p.key] * self.bounds.get(p.key, 0.0) for p in self.phrases)

    def complete(self) -> bool:
        """Every list read to its end and none trimmed: every matching document was met."""
        return len(self.exhausted) == len(self.lists) and all(self.lists[k][1] == 0.0 for k in self.lists)

    def top(self, k: int, *, first: list[Candidate] | None = None) -> list[Candidate] | None:
        """The best ``k`` (fewer if fewer match), ordered by tier, score and date; or None
        when the lists cannot prove it (the caller then scores every match).

        ``first``: every document of tier 0 (all words), already known exactly (the caller
        scored them with FTS5 because too few of them were in the lists): then only the
        rest of the page is looked for here, among the documents with some of the words."""
        order = lambda c: (c.tier, -c.score, -(c.date_ts or 0.0), c.id)  # noqa: E731
        tier, need = (0, k) if first is None else (1, k - len(first))
        while True:
            if self.complete():
                found = sorted(self.found, key=order) if first is None else \
                    first + sorted((c for c in self.found if c.tier == 1), key=order)
                return found[:k]
            wanted = sorted((c for c in self.found if c.tier == tier), key=order)
            if need <= 0 or (len(wanted) >= need and wanted[need - 1].score > self.threshold()):
                return (first or []) + wanted[:max(need, 0)]
            more = self._round(wanted[need - 1].score if len(wanted) >= need else -math.inf)
            if not more and not self.complete() or len(self.found) > MAX_SCORED:
                return None
