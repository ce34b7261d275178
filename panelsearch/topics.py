"""Topics and who's who (issue #12): the library's answers grouped into topics with readable labels,
and the words that set each speaker apart.

Topics are found from the index's own vectors, one per whole answer (a speaker's answer to one
audience question): k-means over the unit vectors, with the number of topics chosen by silhouette
(cosine) between ceil(sqrt(n/2)) and ceil(sqrt(2n)), from a fixed random state. Each chunk passage
takes its answer's topic. docs/topics.md says why this and not BERTopic (measured: the same clusters,
306 MB more to install, seconds more to import, and labels that are word lists).

A topic is labelled by class-based TF-IDF (the topic's answers, and its audience questions once
each, as one class) over words, and the label is made of readable phrases of those words, not of
stems: a phrase never starts or ends on a stop word, keeps its hyphens and capitals as written most
often ("experts by experience", "QI training", "co-production"), and must read as a term, not a
piece of a sentence (_Vocabulary). The label is the best phrase, joined by "and" to the next best
one that shares no word with it (nor spells out its acronym). Speakers' terms are the same
c-TF-IDF over single words, one class per (document, speaker).

    answers, vectors, questions = answers_from_passages(passages, passage_vectors)
    topics = compute_topics(answers, vectors, questions)
    topics.labels; topics.topic_of(source, 4, "AC"); topics.passage_topics(passages)
    Topics.from_json(topics.to_json())        # stored as topics.json beside the index
    speaker_terms(answers); speaker_topics(topics, answers)

Deterministic: the same answers and vectors give the same topics, labels and JSON, byte for byte.
"""
from __future__ import annotations

import functools
import hashlib
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from .models import Passage
from .text import FUNCTION_WORDS, STOPWORDS, stem

AnswerKey = tuple[str, int, str]  # (source, question number, speaker initials)
AnswerInput = tuple[str, int, str, str]  # (source, question number, speaker initials, answer text)
SpeakerKey = tuple[str, str]  # (source, initials): initials are only unique within one document

FORMAT_VERSION = 1
RANDOM_STATE = 0
TERMS_PER_TOPIC = 8
MAX_PHRASE_WORDS = 4  # a name may have four ("National Peer Leadership Network")
SILHOUETTE_SAMPLE = 2000  # above this many answers, silhouette is estimated on a fixed sample
MAX_K_TRIED = 10  # at most this many numbers of topics are tried (evenly spread over the range)

# -- words ----------------------------------------------------------------------------------------
# Stop words for labels and terms: the search's own (text.STOPWORDS), question words, scikit-learn's
# English list less the words this field uses as content ("system", "part", "together"...), and
# words too vague to start or end a label ("really", "need", "way").
_SKLEARN_STOP = frozenset("""
about above across after afterwards again against all almost alone along already although always am among
amongst amoungst amount another any anyhow anyone anything anyway anywhere around back became because become
becomes becoming been before beforehand behind being below beside besides between beyond both can cannot cant
couldnt do done down due during each eight either eleven else elsewhere enough even ever every everyone
everything everywhere except few fifteen fifty first five former formerly forty four from further get give go
had has hasnt have he hence her here hereafter hereby herein hereupon hers herself him himself his how however
hundred i indeed its itself last latter latterly least less many me meanwhile mine more moreover most mostly
much must my myself namely neither never nevertheless next nine nobody none noone nor nothing now nowhere off
often once one only onto other others otherwise ours ourselves out over own per perhaps please put rather re
same see seem seemed seeming seems several she since six sixty so some somehow someone something sometime
sometimes somewhere still take ten than them themselves thence thereafter thereby therefore therein thereupon
third those though three through throughout thru thus too toward towards twelve twenty two under until up upon
very via well were what whatever when whence whenever where whereafter whereas whereby wherein whereupon
wherever whether which while whither who whoever whole whom whose why within without yet your yours yourself
yourselves alongside amid beneath despite inside outside unlike anybody somebody everybody
""".split())
_VAGUE = frozenset("""
really lot lots thing things way ways just like want wants wanted sure certain quite need needs needed
make makes making made use used using good great best better able going gone got lets let ok okay yes
say says said think thinks know knows known feel feels felt seen come comes came bring brings brought
ask asked asking asks tips tip hi dear amy ms mr dr im ive id dont doesnt isnt cant wont etc vs
""".split())
LABEL_STOPWORDS = frozenset(STOPWORDS | FUNCTION_WORDS | _SKLEARN_STOP | _VAGUE)
_VERB_CUES = frozenset({"to", "can", "will", "would", "should", "could", "may", "might", "must", "cannot", "we",
                        "you", "they", "i", "he", "she", "it", "also", "not", "do", "does", "did", "please", "who",
                        "which"})
_DETERMINERS = frozenset({"the", "a", "an", "their", "our", "your", "my", "his", "her", "its", "some", "any",
                          "no", "this", "that", "these", "those"})
# A word after these is said of something (an adjective): "be appropriate", "is excellent".
_ADJECTIVE_CUES = frozenset({"is", "are", "was", "were", "be", "been", "being", "very", "so", "too", "more", "most",
                             "less", "quite", "really", "how", "feel", "feels", "seem", "seems", "become", "becomes"})
_ADJECTIVE_ENDINGS = ("al", "ive", "ous", "ful", "ic", "able", "ible", "ent", "ant", "ary", "ed", "less", "ish",
                      "ior", "ar")
# May stand inside a phrase, never at its ends: "experts by experience", "safe and brave space".
_CONNECTORS = frozenset({"of", "by", "and", "for", "in", "on", "with", "to", "from", "the", "a"})

_URL_RE = re.compile(r"(?:https?://|www\.)\S+(?:\s+[\w-]+[-/]\S*)*")
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-/'’][A-Za-z0-9]+)*")


@functools.lru_cache(maxsize=65536)
def _is_acronym(word: str) -> bool:
    """QI, EBEs, NHSE/I, RCPsych: two capitals in a row, which a label keeps as written."""
    return bool(re.search(r"[A-Z]{2}", word.replace("/", "")))


def _runs(text: str) -> list[list[str]]:
    """The words of ``text`` in runs that a phrase may span: a phrase never crosses punctuation,
    a quote, a dash, a line end or a web address."""
    text = _URL_RE.sub(" | ", text)
    runs: list[list[str]] = []
    current: list[str] = []
    last_end = 0
    for m in _WORD_RE.finditer(text):
        gap = text[last_end:m.start()]
        word = m.group()
        if gap.strip() or "\n" in gap or word.count("-") > 2 or word.endswith(("-", "/")):
            if current:
                runs.append(current)
            current = []
        if not (word.count("-") > 2 or word.endswith(("-", "/"))):  # a slug or a broken word: no phrase
            current.append(word)
        last_end = m.end()
    if current:
        runs.append(current)
    return runs


@functools.lru_cache(maxsize=65536)
def _norm(word: str) -> str:
    """A word for comparing: lower case, no hyphens ("co-production" = "coproduction"), no 's."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    return w.replace("-", "")


# Nouns that look like adverbs: they may end a phrase.
_LY_NOUNS = frozenset({"family", "supply", "assembly", "anomaly", "monopoly", "reply", "ally", "rally", "july",
                       "italy", "bully", "belly", "jelly", "lily", "holly", "folly", "tally", "rely"})


NOT, MODIFIER, CONTENT = 0, 1, 2


@functools.lru_cache(maxsize=65536)
def _content(word: str) -> int:
    """CONTENT if a word may start or end a phrase, or be a speaker's term; MODIFIER if it may only
    start one (a participle: "lived experience", never "lived" alone); NOT for a stop word, a
    number, an adverb (-ly) or a pair written with a slash ("user/carers")."""
    if _is_acronym(word):
        return NOT if word.lower() in {"ok", "hi"} else CONTENT
    low = word.lower().replace("’", "'")
    norm = _norm(word)
    if len(low) <= 2 or low in LABEL_STOPWORDS or norm in LABEL_STOPWORDS or "'" in low or "/" in low:
        return NOT
    if any(c.isdigit() for c in low) or norm.endswith("ly") and norm not in _LY_NOUNS:
        return NOT
    if norm.endswith("ed") and len(norm) > 4:
        return MODIFIER
    return CONTENT


class _Stems:
    """Stems of normalised words, cached (one stemmer call per new word)."""

    def __init__(self):
        self.cache: dict[str, str] = {}

    def __call__(self, words: list[str]) -> list[str]:
        new = [w for w in dict.fromkeys(words) if w not in self.cache]
        if new:
            self.cache.update(zip(new, stem(new)))
        return [self.cache[w] for w in words]


@dataclass(frozen=True)
class _Candidate:
    key: tuple[str, ...]  # stems of its words (connectors as they are)
    surface: str  # as written
    lead: str  # its first word, normalised, if the phrase has more than one word and it ends in -ing
    ends: bool  # nothing but a stop word, a connector or punctuation follows it
    name: bool  # more than one word, each content word capitalised, not first in its sentence
    prev: str  # the word before it in its run, normalised ("" at the start)


def _phrases(text: str, stems: _Stems, max_words: int = MAX_PHRASE_WORDS) -> list[_Candidate]:
    """Every candidate phrase in ``text``: 1 to max_words words in one run, starting and ending on a
    content word, inside only content words and connectors, at least half content words, and not
    cutting a name in two ("Long Term Plan", not "term plan"). Keys compare stems, so "Experts by
    Experience" and "expert by experience" are one phrase."""
    out = []
    for run in _runs(text):
        normed = [_norm(w) for w in run]
        keys = stems(normed)
        kind = [_content(w) for w in run]
        ok = [k == CONTENT for k in kind]
        inner = [k != NOT or n in _CONNECTORS for k, n in zip(kind, normed)]
        cap = [w[:1].isupper() for w in run]
        for i in range(len(run)):
            if kind[i] == NOT or (i > 1 and cap[i - 1] and cap[i]):
                continue
            for j in range(i, min(len(run), i + max_words)):
                if j > i and not inner[j]:
                    break
                if not ok[j] or (j + 1 < len(run) and cap[j] and cap[j + 1] and j > 0):
                    continue
                if j > i and sum(k != NOT for k in kind[i:j + 1]) * 2 < j - i + 1:
                    continue
                key = tuple(keys[t] if kind[t] != NOT else normed[t] for t in range(i, j + 1))
                lead = normed[i] if j > i and normed[i].endswith("ing") else ""
                ends = j + 1 == len(run) or not ok[j + 1]
                name = j > i > 0 and all(cap[t] for t in range(i, j + 1) if ok[t])
                out.append(_Candidate(key, " ".join(run[i:j + 1]), lead, ends, name, normed[i - 1] if i else ""))
    return out


def _shown(surfaces: Counter) -> str:
    """How a phrase is shown: as it is written most often (ties: in lower case), each word
    lower-cased unless an acronym, or a capital every writing of it keeps (a name), past the first word."""
    best = max(surfaces.items(), key=lambda kv: (kv[1], kv[0].islower(), kv[0]))[0]
    words = best.split()
    capitals = [all(s.split()[i][:1].isupper() for s in surfaces) for i in range(len(words))]
    if len(words) > 1 and all(c or w in _CONNECTORS for c, w in zip(capitals, words)):
        return best  # a name: "National Peer Leadership Network"
    return " ".join(w if _is_acronym(w) or (i > 0 and capitals[i]) else w.lower() for i, w in enumerate(words))


# -- class-based TF-IDF ---------------------------------------------------------------------------
def c_tf_idf(classes: Sequence[Counter], reduce_frequent: bool = True) -> list[dict]:
    """BERTopic's c-TF-IDF: for each class, {term: tf x log(1 + A / f)}, tf the term's share of the
    class's terms (square-rooted first with reduce_frequent, as BERTopic's reduce_frequent_words),
    A the average number of terms per class and f the term's count over all classes."""
    total = Counter()
    for c in classes:
        total.update(c)
    avg = sum(total.values()) / max(1, len(classes))
    out = []
    for c in classes:
        tf = {t: math.sqrt(n) if reduce_frequent else float(n) for t, n in c.items()}
        size = sum(tf.values()) or 1.0
        out.append({t: (v / size) * math.log(1 + avg / total[t]) for t, v in tf.items()})
    return out


def _capitalise(label: str) -> str:
    return label[:1].upper() + label[1:]


def _content_stems(key: tuple[str, ...]) -> set[str]:
    return set(key) - _CONNECTORS


def _initials(key: tuple[str, ...]) -> str:
    return "".join(k[:1] for k in key)


def _spells(acronym: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    """Whether a one-word acronym key is the initials of a phrase ("ebe" of "expert by experi")."""
    if len(acronym) != 1 or len(phrase) < 2:
        return False
    letters = acronym[0].rstrip("s") if len(acronym[0]) > 2 else acronym[0]
    return letters in (_initials(phrase), _initials(tuple(k for k in phrase if k not in _CONNECTORS)))


@dataclass(frozen=True)
class _Ranked:
    key: tuple[str, ...]
    text: str
    score: float
    acronyms: frozenset  # the stems in it written as acronyms ("ebe" in "include EBEs")
    term: bool = False  # said twice or more in the library, or a name: a term, not a chance pairing

    @property
    def acronym(self) -> bool:
        return len(self.key) == 1 and bool(self.acronyms)


def _overlaps(a: _Ranked, b: _Ranked) -> bool:
    """Whether two phrases say the same thing: a shared word, or an acronym in one spelled out by
    the other ("EBEs and HCPs" and "experts by experience")."""
    return bool(_content_stems(a.key) & _content_stems(b.key)) or \
        any(_spells((k,), b.key) for k in a.acronyms) or any(_spells((k,), a.key) for k in b.acronyms)


class _Vocabulary:
    """What the whole library's phrases say about its words, for telling a term from a chance
    pairing of words, without a part-of-speech tagger:

    * a modifier never ends a phrase ("qualitative" data), so it is no term alone;
    * a word after "to", a modal or a pronoun is a verb ("to enable", "you recommend"), after "is",
      "be" or "very" an adjective ("be appropriate"): neither is a term alone, nor starts a pair;
    * an -ing word is a noun after a determiner or inside a phrase ("QI training"), a verb elsewhere
      ("getting qualitative info", "for implementing");
    * longer phrases, or with "of", "by", "and"..., are terms only if said twice or more in the
      library (once, they are a piece of a sentence) or a name ("National Peer Leadership Network");
      two words said once are a term if the first only modifies and looks it, an acronym or an
      adjective's ending ("qualitative data", "lived experience", "QI training"; not "month tells").
    """

    def __init__(self, everywhere: list[_Candidate], stems: _Stems):
        self.stems = stems
        self.used = Counter(c.key for c in everywhere)
        self.heads = {c.key for c in everywhere if c.ends}
        self.names = {c.key for c in everywhere if c.name}
        self.ing_nouns = {c.key[-1] for c in everywhere if len(c.key) > 1 and c.surface.lower().endswith("ing")}
        self.verbs = {c.key for c in everywhere if len(c.key) == 1 and c.prev in _VERB_CUES}
        self.adjectives = {c.key for c in everywhere if len(c.key) == 1 and c.prev in _ADJECTIVE_CUES}
        self.ing_ok = {c.key[-1:] for c in everywhere if c.surface.lower().endswith("ing")
                       and (len(c.key) > 1 and c.key[-2] not in _CONNECTORS or c.prev in _DETERMINERS)}

    def readable(self, c: _Candidate) -> bool:
        if c.lead and self.stems([c.lead])[0] not in self.ing_nouns:
            return False
        if len(c.key) == 1:
            return (c.key in self.heads and c.key not in self.verbs and c.key not in self.adjectives
                    and (len(c.surface) > 3 or _is_acronym(c.surface))
                    and (not c.surface.lower().endswith("ing") or c.key in self.ing_ok))
        if self.used[c.key] >= 2 or c.key in self.names:
            return True
        first = c.surface.split()[0]
        return (len(c.key) == 2 and (c.key[0],) not in self.heads and (c.key[0],) not in self.verbs
                and (c.key[1],) in self.heads and not c.surface.lower().endswith("ing")
                and (_is_acronym(first) or first.lower().endswith(_ADJECTIVE_ENDINGS)))


def _rank_phrases(docs_per_topic: list[list[str]], stems: _Stems) -> list[list[_Ranked]]:
    """Each topic's readable phrases, best first.

    Words are weighed by c-TF-IDF (one class per topic) x the square root of the share of the
    topic's texts that use them (a label speaks for the topic, not for one answer); a phrase scores
    the mean of its words' weights, x 1.3 for each word past the first (RAKE-like: "qualitative data"
    beats "figures" when both its words are the topic's own).

    Only readable phrases are ranked (_Vocabulary).
    """
    found_per_topic = [[_phrases(doc, stems) for doc in docs] for docs in docs_per_topic]
    vocabulary = _Vocabulary([c for topic in found_per_topic for found in topic for c in found], stems)
    readable, used, names = vocabulary.readable, vocabulary.used, vocabulary.names
    word_counts, word_spread, phrases, surfaces = [], [], [], defaultdict(Counter)
    for topic in found_per_topic:
        wc, ws, ph = Counter(), Counter(), set()
        for found in topic:
            words = [f.key[0] for f in found if len(f.key) == 1]
            wc.update(words)
            ws.update(set(words))
            for f in found:
                if readable(f):
                    surfaces[f.key][f.surface] += 1
                    ph.add(f.key)
        word_counts.append(wc)
        word_spread.append(ws)
        phrases.append(ph)
    weights = c_tf_idf(word_counts)
    ranked = []
    for w, ws, ph, docs in zip(weights, word_spread, phrases, docs_per_topic):
        n_docs = max(1, len(docs))
        word = {k: v * (ws[k] / n_docs) ** 0.5 for k, v in w.items()}
        scored = []
        for key in ph:
            content = [k for k in key if k not in _CONNECTORS or len(key) == 1]
            score = sum(word.get(k, 0.0) for k in content) / len(content) * 1.3 ** (len(content) - 1)
            scored.append((score, key))
        scored.sort(key=lambda t: (-t[0], t[1]))
        out = []
        for score, key in scored:
            text = _shown(surfaces[key])
            acronyms = frozenset(k for k, w in zip(key, text.split()) if _is_acronym(w))
            out.append(_Ranked(key, text, score, acronyms, used[key] >= 2 or key in names))
        ranked.append(out)
    return ranked


def _headline(ranked: list[_Ranked], skip: Sequence[_Ranked] = ()) -> _Ranked | None:
    """The topic's best phrase, skipping those that overlap ``skip``. A longer phrase that holds it
    and scores at least 40% as well speaks more plainly, and takes its place ("QI training" for
    "training"); so does the spelled-out form of an acronym ("experts by experience" for "EBEs")."""
    pool = [r for r in ranked if not any(_overlaps(r, s) for s in skip)]
    if not pool:
        return None
    best = pool[0]
    for r in pool[1:20]:
        if r.score < 0.4 * best.score:
            break
        if best.acronym and _spells(best.key, r.key):
            return r
        if r.term and len(_content_stems(r.key)) > len(_content_stems(best.key)) and \
                _content_stems(best.key) <= _content_stems(r.key):
            return r
    return best


def _label(ranked: list[_Ranked], taken: set[str]) -> str:
    """The headline phrase, and with "and" the next best that says something else if it scores at
    least half as well; never a label already taken (case aside)."""
    first = _headline(ranked)
    if first is None:
        return _unique("Other answers", taken)
    options = []
    second = _headline(ranked, [first])
    if second is not None and second.score >= 0.3 * first.score:
        options.append(f"{first.text} and {second.text}")
    options.append(first.text)
    third = second and _headline(ranked, [first, second])
    if second is not None and third is not None:
        options += [f"{first.text} and {third.text}", f"{second.text} and {third.text}"]
    for option in options:
        label = _capitalise(option)
        if label.lower() not in taken:
            taken.add(label.lower())
            return label
    return _unique(_capitalise(first.text), taken)


def _unique(label: str, taken: set[str]) -> str:
    n, out = 2, label
    while out.lower() in taken:
        out, n = f"{label} ({n})", n + 1
    taken.add(out.lower())
    return out


# -- the topics -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Topic:
    id: int
    label: str
    terms: tuple[str, ...]  # its best phrases, as the label is made from
    answers: tuple[AnswerKey, ...]  # in library order

    def to_json(self) -> dict:
        return {"id": self.id, "label": self.label, "terms": list(self.terms),
                "answers": [list(a) for a in self.answers]}


class Topics:
    """The topics of a library's answers: each answer (source, number, speaker) in exactly one.

    Topic ids are 0..len-1, largest topic first. Read-only.
    """

    def __init__(self, topics: Sequence[Topic], method: dict | None = None, answers_sha256: str = ""):
        self.topics: tuple[Topic, ...] = tuple(topics)
        self.method = dict(method or {})
        self.answers_sha256 = answers_sha256
        self._of: dict[AnswerKey, int] = {}
        for t in self.topics:
            for a in t.answers:
                if a in self._of:
                    raise ValueError(f"answer {a} is in two topics")
                self._of[a] = t.id
        if [t.id for t in self.topics] != list(range(len(self.topics))):
            raise ValueError("topic ids must be 0..n-1 in order")

    def __len__(self) -> int:
        return len(self.topics)

    def __iter__(self):
        return iter(self.topics)

    def __eq__(self, other) -> bool:
        return isinstance(other, Topics) and self.to_json() == other.to_json()

    @property
    def labels(self) -> list[str]:
        """Each topic's label, by topic id."""
        return [t.label for t in self.topics]

    def label_of(self, topic: int) -> str:
        return self.topics[topic].label

    def topic_of(self, source: str, number: int, speaker: str) -> int:
        """The topic of one answer; KeyError if these topics were not computed with it."""
        try:
            return self._of[(source, int(number), speaker)]
        except KeyError:
            raise KeyError(f"no topic for {source} question {number} by {speaker}: "
                           "the topics were computed from another library") from None

    def assignments(self) -> dict[AnswerKey, int]:
        """{(source, number, speaker): topic id} for every answer."""
        return dict(self._of)

    def answers_of(self, topic: int) -> list[AnswerKey]:
        return list(self.topics[topic].answers)

    def questions_of(self, topic: int) -> list[tuple[str, int]]:
        """The audience questions (source, number) with an answer in the topic, in library order."""
        return list(dict.fromkeys((s, n) for s, n, _ in self.topics[topic].answers))

    def speakers_of(self, topic: int) -> list[tuple[SpeakerKey, int]]:
        """The speakers (source, initials) with answers in the topic, and how many: most first."""
        counts = Counter((s, who) for s, _, who in self.topics[topic].answers)
        return sorted(counts.items(), key=lambda kv: -kv[1])  # stable: ties in the order they spoke

    def passage_topics(self, passages: Iterable[Passage]) -> list[int]:
        """Each passage's topic, chunk or whole answer: its answer's."""
        return [self.topic_of(p.source, p.question_number, p.speaker) for p in passages]

    def to_json(self) -> dict:
        return {"format_version": FORMAT_VERSION, "method": self.method, "answers_sha256": self.answers_sha256,
                "topics": [t.to_json() for t in self.topics]}

    @classmethod
    def from_json(cls, data) -> "Topics":
        """Topics as to_json wrote them; ValueError for anything else."""
        try:
            if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
                raise ValueError("not topics of this version")
            topics = []
            for t in data["topics"]:
                answers = tuple((str(s), int(n), str(who)) for s, n, who in t["answers"])
                if not isinstance(t["label"], str) or not all(isinstance(x, str) for x in t["terms"]):
                    raise ValueError("a label or term is not text")
                topics.append(Topic(int(t["id"]), t["label"], tuple(t["terms"]), answers))
            method = data.get("method", {})
            digest = data.get("answers_sha256", "")
            if not isinstance(method, dict) or not isinstance(digest, str):
                raise ValueError("method or answers_sha256 of the wrong kind")
            return cls(topics, method, digest)
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"not a topics file: {err}") from None


def answers_sha256(answers: Sequence[AnswerInput]) -> str:
    """A digest of the answers topics are computed from (keys and texts): differs, the topics are stale."""
    h = hashlib.sha256()
    for source, number, speaker, text in answers:
        h.update(f"{source}\x1f{int(number)}\x1f{speaker}\x1f{text}\x1e".encode("utf-8"))
    return h.hexdigest()


def answers_from_passages(passages: Sequence[Passage], vectors: np.ndarray
                          ) -> tuple[list[AnswerInput], np.ndarray, dict[tuple[str, int], str]]:
    """(answers, their vectors, {(source, number): audience question}) from an index's passages
    and their vectors (row i is passage i).

    An answer's vector is its whole-answer passage's (kind "answer"): the index embeds a long answer
    whole, question in front. An answer of one chunk has none: that chunk is the whole answer. Measured
    on the seed, the whole-answer vectors group better than the mean of the chunks (docs/topics.md).
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    if len(vectors) != len(passages):
        raise ValueError(f"{len(passages)} passages but {len(vectors)} vectors")
    chunks: dict[AnswerKey, list[int]] = {}
    whole: dict[AnswerKey, int] = {}
    questions: dict[tuple[str, int], str] = {}
    for i, p in enumerate(passages):
        key = (p.source, p.question_number, p.speaker)
        chunks.setdefault(key, [])
        questions.setdefault((p.source, p.question_number), p.question)
        if p.kind == "answer":
            whole[key] = i
        else:
            chunks[key].append(i)
    answers, rows = [], []
    for key, rows_of in chunks.items():
        ordered = sorted(rows_of, key=lambda i: passages[i].position)
        if key in whole:
            text, vec = passages[whole[key]].text, vectors[whole[key]]
        else:
            text, vec = " ".join(passages[i].text for i in ordered), vectors[ordered].mean(axis=0)
        answers.append((*key, text))
        rows.append(vec)
    out = np.array(rows, dtype=np.float32).reshape(len(rows), vectors.shape[1] if vectors.ndim == 2 else 0)
    return answers, _unit(out), questions


def _unit(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms > 0, norms, 1.0)


def topic_range(n: int) -> tuple[int, int]:
    """The numbers of topics tried for n answers: ceil(sqrt(n/2)) to ceil(sqrt(2n)), within 2..n-1."""
    lo = max(2, math.ceil(math.sqrt(n / 2)))
    hi = max(lo, math.ceil(math.sqrt(2 * n)))
    return min(lo, n - 1), min(hi, n - 1)


def _n_init(n: int) -> int:
    """k-means restarts: many where they are cheap (50 for the seed's 20 answers), 3 from 330 answers on."""
    return int(min(50, max(3, round(1000 / max(n, 1)))))


def _cluster(x: np.ndarray, k: int | None, random_state: int) -> tuple[np.ndarray, dict]:
    """(labels, what was done) for unit vectors x: k-means with k by silhouette unless given."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score
    from threadpoolctl import threadpool_limits

    n = len(x)
    if n < 4 and k is None or k == 1:  # too few to compare groupings: one topic
        return np.zeros(n, dtype=np.int64), {"k": 1, "silhouette": None}
    with threadpool_limits(1):  # one thread: BLAS threads fight over 2 shared cores and gain nothing here
        if k is not None:
            k = max(1, min(int(k), n))
            km = KMeans(k, n_init=_n_init(n), random_state=random_state).fit(x)
            return km.labels_.astype(np.int64), {"k": k, "silhouette": None}
        lo, hi = topic_range(n)
        ks = sorted({round(v) for v in np.linspace(lo, hi, min(MAX_K_TRIED, hi - lo + 1))})
        if n > SILHOUETTE_SAMPLE:
            rows = np.random.default_rng(random_state).choice(n, SILHOUETTE_SAMPLE, replace=False)
        else:
            rows = np.arange(n)
        sample = x[rows]
        dist = np.clip(1.0 - sample @ sample.T, 0.0, None)
        np.fill_diagonal(dist, 0.0)
        best = None
        for kk in ks:
            labels = KMeans(kk, n_init=_n_init(n), random_state=random_state).fit(x).labels_
            if len(set(labels[rows])) < 2:
                continue
            score = float(silhouette_score(dist, labels[rows], metric="precomputed"))
            if best is None or score > best[0] + 1e-9:
                best = (score, kk, labels)
        if best is None:
            return np.zeros(n, dtype=np.int64), {"k": 1, "silhouette": None}
        return best[2].astype(np.int64), {"k": best[1], "silhouette": round(best[0], 4), "k_tried": ks}


def compute_topics(answers: Sequence[AnswerInput], vectors: np.ndarray,
                   questions: dict[tuple[str, int], str] | None = None, *, k: int | None = None,
                   random_state: int = RANDOM_STATE) -> Topics:
    """Group answers into topics and label each.

    Args:
        answers: (source, number, speaker, text) of each whole answer, each once.
        vectors: (len(answers), dim) their vectors (answers_from_passages gives both from an index).
        questions: {(source, number): audience question}: its words help name the topic (optional).
        k: the number of topics; by default chosen by silhouette (topic_range).
        random_state: k-means's seed; the same inputs give the same topics.
    """
    answers = [(str(s), int(n), str(who), str(text)) for s, n, who, text in answers]
    keys = [a[:3] for a in answers]
    if len(set(keys)) != len(keys):
        raise ValueError("an answer (source, number, speaker) is given twice")
    x = np.asarray(vectors, dtype=np.float64)
    if x.ndim != 2 or len(x) != len(answers):
        raise ValueError(f"{len(answers)} answers need a (n, dim) array of {len(answers)} vectors, got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("vectors hold NaN or infinity")
    method = {"algorithm": "kmeans", "random_state": random_state, "vectors": "whole answers, unit length",
              "labels": "c-TF-IDF over phrases of the answers and their questions"}
    digest = answers_sha256(answers)
    if not answers:
        return Topics([], {**method, "k": 0}, digest)
    raw, info = _cluster(_unit(x), k, random_state)
    method.update(info)
    # Topic ids: largest first, then by where the topic's first answer comes in the library.
    first = {}
    for i, c in enumerate(raw):
        first.setdefault(int(c), i)
    sizes = Counter(int(c) for c in raw)
    order = sorted(sizes, key=lambda c: (-sizes[c], first[c]))
    renumber = {c: i for i, c in enumerate(order)}
    labels = [renumber[int(c)] for c in raw]
    members = [[i for i, c in enumerate(labels) if c == t] for t in range(len(order))]
    questions = questions or {}
    docs = []
    for m in members:
        texts = [answers[i][3] for i in m]
        texts += [questions[q] for q in dict.fromkeys(keys[i][:2] for i in m) if q in questions]
        docs.append(texts)
    ranked = _rank_phrases(docs, _Stems())
    taken: set[str] = set()
    topics = []
    for t, m in enumerate(members):
        label = _label(ranked[t], taken)
        terms = _distinct_terms(ranked[t], TERMS_PER_TOPIC)
        topics.append(Topic(t, label, tuple(terms), tuple(keys[i] for i in m)))
    return Topics(topics, method, digest)


def _distinct_terms(ranked: list[_Ranked], top: int) -> list[str]:
    """The best phrases, skipping one whose words a better one already has ("training" after "QI training")."""
    out, seen = [], []
    for r in ranked:
        if any(_content_stems(r.key) <= _content_stems(s.key) or r.acronym and _overlaps(r, s) for s in seen):
            continue
        out.append(r.text)
        seen.append(r)
        if len(out) == top:
            break
    return out


def topics_from_passages(passages: Sequence[Passage], vectors: np.ndarray, **kwargs) -> Topics:
    """compute_topics for an index's passages and vectors (row i is passage i)."""
    answers, answer_vectors, questions = answers_from_passages(passages, vectors)
    return compute_topics(answers, answer_vectors, questions, **kwargs)


# -- who's who ------------------------------------------------------------------------------------
def speaker_terms(answers: Sequence[AnswerInput], top: int = 8) -> dict[SpeakerKey, list[str]]:
    """{(source, speaker): their ``top`` most distinctive words}: c-TF-IDF with one class per
    speaker over their answers (stop words dropped; a stem shown as the word it most often is)."""
    stems = _Stems()
    by_speaker: dict[SpeakerKey, Counter] = {}
    surfaces: dict[tuple[str, ...], Counter] = defaultdict(Counter)
    spread: dict[SpeakerKey, Counter] = {}
    found_per_answer = [_phrases(a[3], stems) for a in answers]
    vocabulary = _Vocabulary([c for found in found_per_answer for c in found], stems)
    for (source, _, speaker, _), found in zip(answers, found_per_answer):
        found = [f for f in found if len(f.key) == 1 and vocabulary.readable(f)]
        who = (source, speaker)
        by_speaker.setdefault(who, Counter()).update(f.key for f in found)
        spread.setdefault(who, Counter()).update({f.key for f in found})
        for f in found:
            surfaces[f.key][f.surface] += 1
    speakers = list(by_speaker)
    weights = c_tf_idf([by_speaker[s] for s in speakers])
    out = {}
    for who, w in zip(speakers, weights):
        # ties (common with few answers): the word more of their answers use, then alphabetical
        ranked = sorted(w, key=lambda key: (-round(w[key], 12), -spread[who][key], key))
        out[who] = [_shown(surfaces[key]) for key in ranked[:top]]
    return out


def speaker_topics(topics: Topics, answers: Iterable[AnswerInput | AnswerKey]) -> dict[SpeakerKey, list[tuple[str, int]]]:
    """{(source, speaker): [(topic label, how many of their answers are in it)]}, most first (ties by topic id)."""
    counts: dict[SpeakerKey, Counter] = {}
    for a in answers:
        source, number, speaker = a[0], a[1], a[2]
        counts.setdefault((source, speaker), Counter())[topics.topic_of(source, number, speaker)] += 1
    return {who: [(topics.label_of(t), n) for t, n in sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))]
            for who, c in counts.items()}
