"""Readable labels for groups of texts (topics.py): class-based TF-IDF over words, made into phrases
as written ("experts by experience", "QI training"), never stems or pieces of a sentence.
"""
from __future__ import annotations

import functools
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Sequence


from .text import FUNCTION_WORDS, stem, stopwords

MAX_PHRASE_WORDS = 4  # a name may have four ("National Peer Leadership Network")

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


@functools.cache
def label_stopwords() -> frozenset[str]:
    """LABEL_STOPWORDS, made on first use: text.stopwords() imports bm25s and scipy (0.1 s), which
    a process that only builds or reads an index (and so imports this module) need not pay for."""
    return frozenset(stopwords() | FUNCTION_WORDS | _SKLEARN_STOP | _VAGUE)


def __getattr__(name: str):  # topic_labels.LABEL_STOPWORDS, made on first use
    if name == "LABEL_STOPWORDS":
        return label_stopwords()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    stop = label_stopwords()
    if len(low) <= 2 or low in stop or norm in stop or "'" in low or "/" in low:
        return NOT
    if any(c.isdigit() for c in low) or norm.endswith("ly") and norm not in _LY_NOUNS:
        return NOT
    if norm.endswith("ed") and len(norm) > 4:
        return MODIFIER
    return CONTENT


class Stems:
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


def phrases_in(text: str, stems: Stems, max_words: int = MAX_PHRASE_WORDS) -> list[_Candidate]:
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


def shown_form(surfaces: Counter) -> str:
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


def content_stems(key: tuple[str, ...]) -> set[str]:
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
class RankedPhrase:
    key: tuple[str, ...]
    text: str
    score: float
    acronyms: frozenset  # the stems in it written as acronyms ("ebe" in "include EBEs")
    term: bool = False  # said twice or more in the library, or a name: a term, not a chance pairing

    @property
    def acronym(self) -> bool:
        return len(self.key) == 1 and bool(self.acronyms)


def overlaps(a: RankedPhrase, b: RankedPhrase) -> bool:
    """Whether two phrases say the same thing: a shared word, or an acronym in one spelled out by
    the other ("EBEs and HCPs" and "experts by experience")."""
    return bool(content_stems(a.key) & content_stems(b.key)) or \
        any(_spells((k,), b.key) for k in a.acronyms) or any(_spells((k,), a.key) for k in b.acronyms)


class Vocabulary:
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

    def __init__(self, everywhere: list[_Candidate], stems: Stems):
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


def rank_phrases(docs_per_topic: list[list[str]], stems: Stems) -> list[list[RankedPhrase]]:
    """Each topic's readable phrases, best first.

    Words are weighed by c-TF-IDF (one class per topic) x the square root of the share of the
    topic's texts that use them (a label speaks for the topic, not for one answer); a phrase scores
    the mean of its words' weights, x 1.3 for each word past the first (RAKE-like: "qualitative data"
    beats "figures" when both its words are the topic's own).

    Only readable phrases are ranked (Vocabulary).
    """
    found_per_topic = [[phrases_in(doc, stems) for doc in docs] for docs in docs_per_topic]
    vocabulary = Vocabulary([c for topic in found_per_topic for found in topic for c in found], stems)
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
            text = shown_form(surfaces[key])
            acronyms = frozenset(k for k, w in zip(key, text.split()) if _is_acronym(w))
            out.append(RankedPhrase(key, text, score, acronyms, used[key] >= 2 or key in names))
        ranked.append(out)
    return ranked


def _headline(ranked: list[RankedPhrase], skip: Sequence[RankedPhrase] = ()) -> RankedPhrase | None:
    """The topic's best phrase, skipping those that overlap ``skip``. A longer phrase that holds it
    and scores at least 40% as well speaks more plainly, and takes its place ("QI training" for
    "training"); so does the spelled-out form of an acronym ("experts by experience" for "EBEs")."""
    pool = [r for r in ranked if not any(overlaps(r, s) for s in skip)]
    if not pool:
        return None
    best = pool[0]
    for r in pool[1:20]:
        if r.score < 0.4 * best.score:
            break
        if best.acronym and _spells(best.key, r.key):
            return r
        if r.term and len(content_stems(r.key)) > len(content_stems(best.key)) and \
                content_stems(best.key) <= content_stems(r.key):
            return r
    return best


def phrase_label(ranked: list[RankedPhrase], taken: set[str]) -> str:
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


