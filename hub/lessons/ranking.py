"""Lexical similarity between a case and the library's lessons: BM25 and TF-IDF (cosine) over
the same words. Pure Python, no database: an index is built once from the published lessons
and then answers each case from its inverted lists alone.

Two methods are kept because the suggestion's method was chosen by measurement
(tests/lessons/test_suggestion_quality.py prints hit@5 for both)."""

import math
import re
from collections import Counter
from functools import lru_cache

_WORD = re.compile(r"[a-z][a-z'-]*[a-z]|[a-z]")

_STOP_WORDS = """
a about after again all also am an and any are as at be been before being below between
both but by can could did do does doing down during each few for from further had has
have having he her here hers him his how i if in into is it its itself just me more most
my no nor not now of off on once only or other our out over own same she should so some
such than that the their theirs them then there these they this those through to too
under until up very was we were what when where which while who whom why will with would
you your yours one two three four five six seven eight nine ten also per via case cases
lesson lessons problem problems hub partners partner
"""
STOP = frozenset(_STOP_WORDS.split())

_SUFFIXES = ("ingly", "ings", "ing", "edly", "ed", "ies", "es", "s", "ly", "ment", "ers", "er")


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    """A light suffix stripper: enough to meet "sprayed" with "spraying" and "complaints" with
    "complaint" without a stemming library."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "ls":
        word = word[:-1]  # "dropp(ed)" -> "drop"
    return word


def tokens(text: str) -> list[str]:
    return [stem(w) for w in _WORD.findall(text.lower()) if w not in STOP and len(w) > 1]


# Below this many lessons every word is scored; above it, the commonest are left out.
PRUNE_FROM = 1000


def _chosen(terms, df: dict, n: int, limit: int, max_share: float) -> list[str]:
    """The query's terms that carry a match: the rarest `limit`, leaving out those in more
    than `max_share` of the lessons (little weight, most of the cost) unless nothing else is
    left."""
    known = [t for t in set(terms) if t in df]
    if n < PRUNE_FROM:
        return sorted(known, key=lambda t: (df[t], t))[:limit]
    rare = [t for t in known if df[t] <= max_share * n] or known
    return sorted(rare, key=lambda t: (df[t], t))[:limit]


class Bm25:
    """Okapi BM25 with the usual k1 and b. Lessons can be added to a built index (add), so
    publishing one does not rebuild the library's."""

    name = "BM25"
    incremental = True

    def __init__(self, docs: dict[int, str] | None = None, k1: float = 1.2, b: float = 0.75):
        self.k1, self.b = k1, b
        self.length: dict[int, int] = {}
        self.postings: dict[str, list[tuple[int, int]]] = {}
        self.add(docs or {})

    def add(self, docs: dict[int, str]) -> None:
        for doc_id, text in docs.items():
            counts = Counter(tokens(text))
            self.length[doc_id] = sum(counts.values()) or 1
            for term, tf in counts.items():
                self.postings.setdefault(term, []).append((doc_id, tf))
        self.n = len(self.length)
        average = (sum(self.length.values()) / self.n) if self.n else 1.0
        k1, b = self.k1, self.b
        # The length part of each lesson's denominator, so a query does only the sum.
        self.norm = {d: k1 * (1 - b + b * n / average) for d, n in self.length.items()}
        self.df = {t: len(p) for t, p in self.postings.items()}

    def scores(self, query: str, limit_terms: int = 16, max_share: float = 0.05):
        out: dict[int, float] = {}
        k1, norm, n = self.k1, self.norm, self.n
        for term in _chosen(tokens(query), self.df, n, limit_terms, max_share):
            df = self.df[term]
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5)) * (k1 + 1)
            get = out.get
            for doc_id, tf in self.postings[term]:
                out[doc_id] = get(doc_id, 0.0) + idf * tf / (tf + norm[doc_id])
        return out


class TfIdf:
    """TF-IDF weights (log tf, smooth idf), cosine similarity."""

    name = "TF-IDF"
    incremental = False  # every lesson's weights depend on the whole library's

    def __init__(self, docs: dict[int, str]):
        counts = {d: Counter(tokens(text)) for d, text in docs.items()}
        df: Counter = Counter()
        for c in counts.values():
            df.update(c.keys())
        self.n = len(docs)
        self.df = dict(df)
        self.idf = {t: math.log((1 + self.n) / (1 + n)) + 1 for t, n in df.items()}
        self.postings: dict[str, list[tuple[int, float]]] = {}
        for doc_id, c in counts.items():
            weights = {t: (1 + math.log(tf)) * self.idf[t] for t, tf in c.items()}
            norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
            for t, w in weights.items():
                self.postings.setdefault(t, []).append((doc_id, w / norm))

    def scores(self, query: str, limit_terms: int = 16, max_share: float = 0.05):
        c = Counter(t for t in tokens(query) if t in self.postings)
        chosen = _chosen(c, self.df, self.n, limit_terms, max_share)
        weights = {t: (1 + math.log(c[t])) * self.idf[t] for t in chosen}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        out: dict[int, float] = {}
        for t, w in weights.items():
            for doc_id, dw in self.postings[t]:
                out[doc_id] = out.get(doc_id, 0.0) + (w / norm) * dw
        return out


METHODS = {"bm25": Bm25, "tfidf": TfIdf}
