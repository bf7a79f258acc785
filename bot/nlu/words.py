"""Words: cleaning a message, fixing typos against a vocabulary, and finding the shop's
services and barbers in it.

`ShopLexicon.for_shop(shop)` builds (once per shop) the vocabulary and the phrase tables;
`lexicon.canonical(text)` returns the cleaned text with abbreviations and typos replaced by
the words the rules know. Nothing here does I/O.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from bot.shop import Shop, derived

MAX_CHARS = 500

# Abbreviations and slang typed on phones -> the word the rules know.
ABBREVIATIONS = {
    "tmrw": "tomorrow", "tmrws": "tomorrow's", "tomorrows": "tomorrow's", "tmr": "tomorrow", "tmrow": "tomorrow", "tomoz": "tomorrow", "tmoz": "tomorrow", "tmz": "tomorrow",
    "2moz": "tomorrow", "tomos": "tomorrow", "kesho": "tomorrow", "manana": "tomorrow", "mañana": "tomorrow",
    "tomo": "tomorrow", "2moro": "tomorrow", "2morrow": "tomorrow", "2mrw": "tomorrow",
    "2morow": "tomorrow", "tmoro": "tomorrow", "tmorrow": "tomorrow", "2day": "today",
    "tdy": "today", "2nite": "tonight", "tonite": "tonight", "2night": "tonight",
    "mon": "monday", "tue": "tuesday", "tues": "tuesday", "wed": "wednesday",
    "weds": "wednesday", "thu": "thursday", "thur": "thursday", "thurs": "thursday",
    "fri": "friday", "sat": "saturday", "sun": "sunday", "nxt": "next", "wk": "week",
    "pls": "please", "plz": "please", "plss": "please", "thx": "thanks", "ty": "thanks",
    "thanx": "thanks", "cn": "can", "u": "you", "r": "are", "appt": "appointment",
    "appts": "appointments", "avail": "available", "resched": "reschedule",
    "arvo": "afternoon", "mins": "minutes", "k": "ok", "kk": "ok", "okey": "okay",
    "yh": "yeah", "ya": "yeah", "yea": "yeah", "ye": "yes", "yess": "yes", "yesss": "yes",
    "noo": "no", "nooo": "no", "cancell": "cancel", "cancl": "cancel", "canx": "cancel",
    "dont": "don't", "cant": "can't", "wont": "won't", "im": "i'm", "oclock": "o'clock",
    "lunchtime": "lunch", "midday": "noon", "rite": "right", "ryt": "right", "helo": "hello", "bok": "book", "hiw": "how", "cyt": "cut", "buz": "buzz", "tek": "take", "mek": "make", "di": "the", "weh": "where", "unu": "you", "waan": "want", "nuh": "not", "ting": "thing", "pon": "on", "whaurs": "where's", "whaur": "where", "aboot": "about", "gies": "give", "wi": "with", "parkin": "parking",
}


def wordlist(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words the rules match on; typos of these are corrected.
RULE_WORDS = wordlist(
    """
today tomorrow tonight monday tuesday wednesday thursday friday saturday sunday
january february march april june july august september october november december
morning afternoon evening noon midnight lunch weekend week next this after before between
appointment appointments booking bookings reschedule cancel available availability
please thanks thank help menu unsubscribe resume reminders actually instead change
price prices pricing cost costs charge charges expensive opening shut closing till until
"""
)

# Common English words: never "corrected" into something else (heard -> beard, date -> fade).
COMMON_WORDS = wordlist(
    """
sound grand deadly class brilliant brill suits suit savage ye
mondays tuesdays wednesdays thursdays fridays saturdays sundays
busy quiet packed rammed queue wait waiting usually normally
schedule scheduled scheduling party parties wedding sort kind shifts
a about above across actually add after again against ago ahead all also am an and any
anybody anyone anything anytime anyway are around as ask at available away back bad be
because been before being best better between big bit book booked booking both bring but
buy by call came can cancel cant can't car card care case cash change check choose clear
close closed come coming could cut cuts date dates day days dear did do does doing done
don't down each early earlier either else end even evening ever every face fair fast
feel few fine first fit for forward free friend from full gave get gets getting give go
going gone good got great guy had hair half happy hard has have he head hear heard hello
help her here hey hi him his hold home hope hour hours how i i'd i'll i'm if in into is
it it's its just keep kind know last late later least leave left let let's like little
long look lot love made make man many mate may maybe me mean meant meet menu might mind
mine minute minutes miss month months more morning most move much must my name near
need needs never new next nice night no none not nothing now o'clock of off ok okay old
on once one only open or other our out over own pay people perfect place plan please
plus point possible put quarter quick quite rather ready real really right said same
save saw say see seem set shall she short should show side since slot slots so some
someone something soon sorry sounds space spot start still stop sure take talk tell than
thank thanks that that's the their them then there these they thing things think this
those though three through till time times to today told too top try two under until up
upon us use very wait want was way we week weeks well went were what what's when where
which while who whoever why will wish with within won't work would yeah year yes yet you
your you're sat sun mon wed date data bears bread bird hear heart head made safe face
four five six seven eight nine ten eleven twelve
fame game gate late name same wade tame take came rate hate kate mate site note
held text bunch slave fate trip weak chance cancer mens men match marsh opening openings
looking cooking hooking seeing meeting moving having living giving doing bring brings
wanted needed booked
even event events ever hell sale mail tell bell well wall shop shops store barber barbers
work works working worked cutting rostered parking park located location address payment card cards walk
walkin walkins human person someone somebody traffic running hold spot useless real usual rebook
son daughter kid kids boy girl wife husband partner brother sister dad mum mom
bank holiday holidays tidy tidied eyebrows eyebrow brows
another different someone somebody whoever
"""
)


def clean(text: str) -> str:
    """Lower case, NFKC, curly quotes straightened, control characters dropped, length capped."""
    text = text[: MAX_CHARS * 2]
    text = unicodedata.normalize("NFKC", text)[:MAX_CHARS]
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    if not text.isprintable():  # most messages are: one C call instead of a loop per character
        text = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(text.lower().split())


def distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment edit distance (a swap counts 1); stops early above `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                v = min(v, prev2[j - 2] + 1)
            cur[j] = v
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def allowed_typos(word: str, target: str) -> int:
    n = min(len(word), len(target))
    return 0 if n < 4 else 1 if n <= 6 else 2


_TOKEN_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_VOWELS_RE = re.compile(r"[aeiouy]+")


def _consonants(word: str) -> str:
    return _VOWELS_RE.sub("", word)


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]
    kind: str  # "service" or "barber"
    key: str
    needs_context: bool = False  # a barber named like a common word ("will")


@dataclass
class ShopLexicon:
    vocabulary: frozenset[str]
    phrases: tuple[Phrase, ...]
    _fixes: dict[str, str] = field(default_factory=dict)
    _by_first: dict[str, tuple[Phrase, ...]] | None = None

    @staticmethod
    def for_shop(shop: Shop) -> ShopLexicon:
        """The shop's lexicon (worked out once per Shop)."""
        return derived(shop, "lexicon", lambda s: _lexicon(_shop_signature(s)))

    def fix(self, word: str) -> str:
        """The word the rules know for a token: abbreviation, plural or typo, else itself."""
        if word in self._fixes:
            return self._fixes[word]
        fixed = self._fix(word)
        if len(self._fixes) < 20000:
            self._fixes[word] = fixed
        return fixed

    def _fix(self, word: str) -> str:
        if word in ABBREVIATIONS:
            return ABBREVIATIONS[word]
        if word in self.vocabulary or word in COMMON_WORDS or not word.isalpha():
            return word
        for stem in (word[:-1], word[:-2]) if word.endswith("s") else ():
            if stem in self.vocabulary:
                return stem
        for stem in (word[:-1], word[:-2], word[:-3]) if word.endswith("ed") and len(word) >= 4 else ():
            if stem in self._phrases_by_first():  # "dyed", "shaved", "trimmed": a service's word
                return stem
        # the nearest word; among equally near ones the one of the typed length, then the first
        # alphabetically: the same answer in every process (the vocabulary's order is its hash order)
        best, best_key = word, (99, 0, "")
        for target in self.vocabulary:
            k = allowed_typos(word, target)
            if k and abs(len(target) - len(word)) <= k:
                d = distance(word, target, k)
                if d <= k and (key := (d, abs(len(target) - len(word)), target)) < best_key:
                    best, best_key = target, key
        if best == word and len(word) >= 4:
            best = self._sounds_like(word)
        return best

    def _sounds_like(self, word: str) -> str:
        """A word typed as it sounds ("faid" for fade, "berd" for beard): the vocabulary word with the
        same first letter and the same consonants in order, within one letter of its length; the
        word itself when none or several match."""
        skeleton = _consonants(word)
        found = [t for t in self.vocabulary if t[0] == word[0] and abs(len(t) - len(word)) <= 1
                 and len(t) >= 4 and _consonants(t) == skeleton]
        return found[0] if len(found) == 1 else word

    def canonical(self, text: str) -> str:
        return _TOKEN_RE.sub(self._fix_match, text)

    def _fix_match(self, m: re.Match[str]) -> str:
        word = m.group(0)
        fixed = self._fixes.get(word)  # a word seen before: one lookup, no call
        return fixed if fixed is not None else self.fix(word)

    def find(self, text: str, original: str) -> tuple[list[str], list[str], list[tuple[int, int]], list[int]]:
        """Services and barbers named in canonical `text`, in order, their spans (of both, in text
        order), and where in `text` each barber was named."""
        tokens = [(m.group(0), m.start(), m.end()) for m in _TOKEN_RE.finditer(text)]
        by_first = self._phrases_by_first()
        words = [_singular(t[0][:-2] if t[0].endswith("'s") else t[0], by_first) for t in tokens]
        services: list[str] = []
        barbers: list[str] = []
        spans: list[tuple[int, int]] = []
        starts: list[int] = []
        i = 0
        while i < len(words):
            if words[i] not in by_first:  # most words start no phrase: no call
                i += 1
                continue
            hit = self._match_at(words, i, original, tokens)
            if hit is None:
                i += 1
                continue
            phrase = hit
            n = len(phrase.words)
            (services if phrase.kind == "service" else barbers).append(phrase.key)
            spans.append((tokens[i][1], tokens[i + n - 1][2]))
            if phrase.kind == "barber":
                starts.append(tokens[i][1])
            i += n
        return services, barbers, spans, starts

    def _phrases_by_first(self) -> dict[str, tuple[Phrase, ...]]:
        if self._by_first is None:  # the phrases by their first word (each list still longest first)
            by_first: dict[str, list[Phrase]] = {}
            for phrase in self.phrases:
                by_first.setdefault(phrase.words[0], []).append(phrase)
            self._by_first = {w: tuple(ps) for w, ps in by_first.items()}
        return self._by_first

    def _match_at(self, words: list[str], i: int, original: str, tokens: list) -> Phrase | None:
        for phrase in self._phrases_by_first().get(words[i], ()):  # longest first
            n = len(phrase.words)
            if tuple(words[i : i + n]) != phrase.words:
                continue
            if phrase.needs_context:
                before = words[i - 1] if i else ""
                capital = re.search(r"\b" + re.escape(phrase.words[0].capitalize()) + r"\b", original)
                if before not in ("with", "by", "see") and not capital and len(words) > n:
                    continue
            return phrase
        return None


def _singular(word: str, known: dict[str, tuple[Phrase, ...]]) -> str:
    """"cuts" where the shop knows "cut" (a plural the typo fixer leaves alone, being English)."""
    if word.endswith("s") and word not in known and word[:-1] in known:
        return word[:-1]
    return word


def _shop_signature(shop: Shop) -> tuple:
    return (
        tuple((s.key, s.name, s.aliases) for s in shop.services),
        tuple((b.key, b.name) for b in shop.barbers),
    )


@lru_cache(maxsize=32)
def _lexicon(signature: tuple) -> ShopLexicon:
    services, barbers = signature
    phrases: dict[tuple[str, ...], Phrase] = {}
    vocab = set(RULE_WORDS)
    for key, name, aliases in services:
        for label in (key, key.replace("-", " ").replace("_", " "), name, *aliases):
            words = tuple(_TOKEN_RE.findall(clean(label)))
            if words and words not in phrases:
                phrases[words] = Phrase(words, "service", key)
                vocab.update(w for w in words if w.isalpha())
            joined = ("".join(words),)
            if len(words) > 1 and joined not in phrases:  # "hair cut" also as "haircut"
                phrases[joined] = Phrase(joined, "service", key)
                vocab.add(joined[0])
    for key, name in barbers:
        name_words = tuple(_TOKEN_RE.findall(clean(name)))
        # a first name alone, unless it is a particle ("Ah Huat" is never "ah", nor "De Souza" "de")
        first = name_words[:1] if len(name_words) == 1 or len(name_words[0]) > 2 else ()
        for words in {(key,), name_words, first}:
            if words and words not in phrases:
                common = len(words) == 1 and words[0] in COMMON_WORDS
                phrases[words] = Phrase(words, "barber", key, needs_context=common)
                vocab.update(w for w in words if w.isalpha())
    ordered = tuple(sorted(phrases.values(), key=lambda p: -len(p.words)))
    return ShopLexicon(frozenset(vocab), ordered)
