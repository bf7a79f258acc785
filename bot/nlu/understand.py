"""`understand(text, now=..., shop=...)`: one customer message -> an `Understanding`.

Rules that know the shop come first (its services, barbers and hours); dateparser is only a
fallback for a date the rules could not read, called when the text plausibly holds one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
from zoneinfo import ZoneInfo

from bot.nlu import intents
from bot.nlu.dates import MONTHS, _month_day, read_dates
from bot.nlu.offsets import read_offset
from bot.nlu.scan import Scan
from bot.nlu.times import read_times
from bot.nlu.types import Intent, TimeWindow, Understanding
from bot.nlu.words import (
    ABBREVIATIONS,
    COMMON_WORDS,
    MAX_CHARS,
    RULE_WORDS,
    ShopLexicon,
    clean,
    wordlist,
)
from bot.shop import Shop

log = logging.getLogger(__name__)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_CODE_RE = re.compile(r"(?<![\w#£$€:./-])([A-Za-z0-9]{4})(?![\w:/]|\.\d)")
_GREETING_RE = re.compile(r"\bgood\s+(?:morning|afternoon|evening|day)\b")
# Worth asking dateparser: a month name the rules could not pair with a day. The rules
# already read "dec 7", "7 dec", "the seventh of december", "7.12.2026", "christmas eve".
_MONTH_WORDS = "|".join(m for m in MONTHS if m not in ("may", "mar", "jun", "sep"))
_DATE_HINT_RE = re.compile(
    r"\b(?:" + _MONTH_WORDS + r")\b(?!\s*\d)(?<!\d\s)"
)
_THIS_PART_RE = re.compile(r"\bthis\s+(?:morning|afternoon|evening)\b")
_YES_NO_LEAD_RE = re.compile(r"^(?:yes|yeah|yep|ok|okay|sure|no|nope|nah)\b[\s,.!]*")

# Counters for the bench and the tests (a parser error is caught, logged and counted).
stats = {"calls": 0, "dateparser_calls": 0, "errors": 0}


def understand(text: str, *, now: dt.datetime, shop: Shop) -> Understanding:
    """Read one message. Never raises: anything unexpected becomes UNKNOWN."""
    stats["calls"] += 1
    try:
        return _understand(text if isinstance(text, str) else "", now, shop)
    except Exception:  # a parser bug must not break the conversation
        stats["errors"] += 1
        log.exception("nlu failed on a message of %d chars", len(text or ""))
        return Understanding(intent=Intent.UNKNOWN, text=clean(str(text or "")))


def _local_now(now: dt.datetime, shop: Shop) -> dt.datetime:
    tz = ZoneInfo(shop.timezone)
    return now.replace(tzinfo=tz) if now.tzinfo is None else now.astimezone(tz)


# how people shorten words in chat, written out before anything else reads the message
_SLANG = {"u": "you", "ya": "you", "yall": "you", "y'all": "you", "ya'll": "you", "yous": "you", "youse": "you", "ur": "your", "wat": "what", "wot": "what", "wen": "when", "r": "are",
          "bout": "about", "abt": "about", "w": "with", "w/": "with", "o clock": "o'clock", "o-clock": "o'clock", "pls": "please", "plz": "please", "thx": "thanks", "ty": "thanks",
          "cos": "because", "cuz": "because", "coz": "because", "n": "and", "im": "i'm", "ive": "i've",
          "dont": "don't", "cant": "can't", "wont": "won't", "whats": "what's", "hows": "how's",
          "whens": "when's", "wheres": "where's", "whos": "who's", "owt": "anything", "nowt": "nothing",
          "summat": "something", "wiv": "with", "wit": "with", "hw": "how",
          # Nigerian pidgin, as Lagos writes English on WhatsApp
          "mañana": "tomorrow", "manana": "tomorrow", "hola": "hello", "gracias": "thanks",
          "takin": "taking", "tae": "to", "ma": "my", "aff": "off", "whit": "what", "gonnae": "going to", "cannae": "can't",
          "dinnae": "don't", "wouldnae": "wouldn't",
          "una": "you", "wetin": "what", "abeg": "please", "oya": "ok", "wan": "want", "no go fit": "can't",
          "una dey": "are you", "dey open": "open", "i dey come": "i'm coming", "who dey": "who is", "wetin be": "what is", "shes": "she's", "hes": "he's", "theyre": "they're", "ion": "i don't",
          "tryna": "trying to", "finna": "going to", "lemme": "let me", "gimme": "give me", "rn": "right now", "wi": "with", "wae": "with", "naw": "no",
          "the morra": "tomorrow", "the morrow": "tomorrow", "the moro": "tomorrow", "the mora": "tomorrow"}
# "workin", "comin", "mornin": a word that drops its g, when the word with it is one the rules know
_SLANG.update({w[:-1]: w for w in COMMON_WORDS | RULE_WORDS if w.endswith("ing") and len(w) > 4 and w != "thing"})
_SLANG_RE = re.compile(r"(?<![\w'])(" + "|".join(sorted(map(re.escape, _SLANG), key=len, reverse=True)) + r")(?![\w'/])")


# "yes thanks, keep the 19th tho": a yes that only says what else stays as it is
_YES_BUT_KEEP_RE = re.compile(
    r"^(?:yes|yeah|yep|yup|ya|yea|ok|okay|sure|y|perfect|great)\b[\s,!.]*(?:(?:thanks|thank you|please|mate|cheers)\b[\s,!.]*)?"
    r"(?:but\s+|and\s+)?(?:keep|leave|don't\s+(?:cancel|touch|move))\b")
# "nah all good, ill msg closer to the time": a no that closes the subject
_NO_FOR_NOW_RE = re.compile(
    r"^(?:(?:hmm+|um+|och|oh|ah|ach|aw|actually|ok|okay|sorry)\b[\s,!.]*)*"
    r"(?:no|nah|nope|n)\b[\s,!.]*(?:(?:thanks|thank you|mate|cheers)\b[\s,!.]*)?"
    r"(?:all\s+good|it'?s\s+(?:ok|okay|fine|all\s+good)|that'?s\s+(?:ok|okay|fine)|never\s*mind|forget\s+it"
    r"|i'?ll\s+(?:msg|message|text|call|get\s+back|come\s+back|check|be\s+in\s+touch|sort)|another\s+time"
    r"|maybe\s+(?:later|another)|not\s+(?:now|yet|today)|(?:i'?ve\s+)?chang(?:e|ed)\s+(?:my\s+mind|of\s+plans?))\b")


# "nah then ill leave it", "yep lock it in": a clear yes or no first, then words that add nothing
# the rules read; "yeah nah" is a no (the last of the leading answer words decides)
_ANSWER_LEAD_RE = re.compile(
    r"^(?:(?:yes|yeah|yep|yup|yea|yeh|yas|ja|sure|absolutely|definitely|aye|no|nah|nope)\b[\s,.!]*)+"
    r"(?![\s,.!]*(?:one|body|worries|worry|problem|probs?|stress|rush|idea|clue)\b)")
_NOT_SETTLED_RE = re.compile(r"\b(?:but|though|tho|however|wait|unless|if|or|why|what|how|when|where|who|which)\b|\?")


def _answer_first(canon: str) -> Intent | None:
    """YES or NO for a message that starts with a clear yes or no word; None otherwise (the caller
    asks only when nothing else in the message was understood)."""
    m = _ANSWER_LEAD_RE.match(canon)
    if m is None or _NOT_SETTLED_RE.search(canon, m.end()):
        return None
    last = re.findall(r"[a-z]+", m.group(0))[-1]
    return Intent.NO if last in ("no", "nah", "nope") else Intent.YES


_OLD_SLOT_GAP_RE = re.compile(r"\s*(?:(?:on|at|for|this|the|in\s+the|anymore|any\s+more)\s*)*")


def _new_slot_after_soft_cancel(canon: str, scan: Scan) -> bool:
    """Whether a "can't make it" message names a day or time after it (the new one it asks for),
    and says no "cancel" of its own."""
    if "cancel" in canon:
        return False
    m = intents.SOFT_CANCEL_RE.search(canon)
    if m is None:
        return False
    at = m.end()
    for start, end in sorted(scan.taken):
        if start < at:
            continue
        if not _OLD_SLOT_GAP_RE.fullmatch(canon, at, start):
            return True
        at = end  # "can't make it on friday at 3": the day and time it cannot make
    return False


# "all good ill sort something else", "no worries, i'll find another time": a no that closes the subject
_ALL_GOOD_NO_RE = re.compile(r"^(?:(?:all\s+good|no\s+worries|no\s+probs?|that'?s\s+(?:ok|okay|fine))\b[\s,!.]*)+"
                             r"(?:i'?ll|i\s+will|gonna|will)\s+(?:just\s+)?(?:sort|find|figure|manage|try|look|go|do|book)\b")
# "och forget it ill just come in on the day", "never mind": the request dropped, with no new one
_DROP_IT_RE = re.compile(
    r"^(?:(?:hmm+|um+|och|oh|ah|ach|ag|aw|actually|ok|okay|sorry|no|nah|nope|naw|hold\s+on|wait)\b[\s,!.]*)*"
    r"(?:forget\s+(?:it|that|about\s+it)|never\s*mind|nvm|leave\s+it|scrap\s+(?:it|that)|don't\s+worry(?:\s+about\s+it)?)\b")
# "ah wait no im in work, forget it sorry": the same, after a reason
_DROP_IT_LATER_RE = re.compile(r"[,.;!-]\s*(?:(?:so|just|ok|okay|och|ah)\s+)?(?:forget\s+(?:it|that|about\s+it)|never\s*mind|nvm"
                               r"|leave\s+it|scrap\s+(?:it|that))\b")
_NEW_REQUEST_RE = re.compile(r"\d|\b(?:mon|tues|wednes|thurs|fri|satur|sun)day|\b(?:tomorrow|tonight|morning|afternoon|evening"
                             r"|instead|another|different|later|earlier|next|book|move|change|(?<!i'll\s)(?<!ill\s)(?<!will\s)make\s+it)\b")


# "cancel it... actually no, can we move it": the request said after a change of mind replaces the one before
_CHANGE_OF_MIND_RE = re.compile(r"\b(?:actually\s+no|no\s+actually|no\s+wait|wait\s+no|scratch\s+that|on\s+second\s+thoughts?"
                                r"|or\s+actually|actually\s+(?:can|could)\s+(?:we|i|you))\b[\s,.!]*")
# "9 is grand, can the wee man go after": a number picked first, then words the rules do not read
_LEAD_PICK_RE = re.compile(r"^(?:(?:ok|okay|yes|yeah|yep|sure|right|perfect|great|cool|alright)[\s,]+)*(?P<n>\d{1,2})\s*(?:(?:is|'s|sounds|would\s+be)\s+(?:grand|good|fine|great|perfect|ok|okay|best|lovely|sound|cool)"
                           r"|works|suits|please|pls|then|for\s+me)\b")


# "nah ur alright just asking, ill pop in thursday": a no, with the customer's own plan (a walk-in)
_JUST_ASKING_RE = re.compile(r"^(?:(?:ah|oh|ok|okay|hmm+)\b[\s,!.]*)*(?:no|nah|nope|naw)\b(?![^.?!]*\?)"
                             r"[^?]*\b(?:just\s+(?:asking|wondering|checking|curious)|(?:pop|walk|drop)\s+in)\b")


def _settled_reply(canon: str) -> Intent | None:
    """YES or NO for a reply that says so first and only adds what stays as it is, or that it
    will be in touch, or drops the request and asks nothing new ("forget it, ill walk in"); None
    for anything else."""
    if _YES_BUT_KEEP_RE.match(canon):
        return Intent.YES
    if _JUST_ASKING_RE.match(canon):
        return Intent.NO
    no_for_now = _NO_FOR_NOW_RE.match(canon)
    if (no_for_now and not _NEW_REQUEST_RE.search(canon, no_for_now.end())) or (
            _ALL_GOOD_NO_RE.match(canon) and not _NEW_REQUEST_RE.search(canon)):
        return Intent.NO  # not "no not today, next tuesday the 15th": a new day
    m = _DROP_IT_RE.match(canon) or _DROP_IT_LATER_RE.search(canon)
    if m is not None and not _NEW_REQUEST_RE.search(canon):
        return Intent.NO
    return None


# "the week after", "week after": next week (not "the week after next", nor "the week after christmas")
_WEEK_AFTER_RE = re.compile(r"\b(?:the\s+)?week\s+after\b(?!\s+(?:next|christmas|xmas|new\s+year|the|that|this|[0-9]))")
# a number of people or chairs: "2 chairs", "3 of us", "two kids cuts" are never a day of the month
_A_COUNT_RE = re.compile(r"\b\d{1,2}\s+(?:chairs?|people|persons|of\s+us|of\s+them|kids|boys|lads|girls|barbers|cuts|haircuts|guys)\b")
_NTH_ONE_RE = re.compile(r"\b(?:the\s+)?[1-9](?:st|nd|rd|th)\s+(?:one|option)\b")  # a list's place; "the 17th one" is a day
# "still coming on the 17th", "still on for friday": a day that stays as it is, not the one asked about
_STILL_ON_RE = re.compile(r"\bstill\s+(?:coming|on|good|fine|ok|okay|booked)\s+(?:in\s+)?(?:on|for)\s+(?:the\s+)?"
                          r"[a-z0-9]+(?:\s+(?:of\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*)?")
_NAMED_RE = re.compile(r"(?<=\bname is )[a-z]+|(?<=\bname's )[a-z]+|(?<=\bnamed )[a-z]+|(?<=\bcalled )[a-z]+"
                       r"|(?<=\bhis name )[a-z]+|(?<=\bher name )[a-z]+")
# words that make a service asked about one the shop does not list ("womens cuts", "a perm")
_NOT_OURS_RE = re.compile(r"\b(?:women'?s?|woman'?s|ladies|lady'?s|female|girls?'?|perms?|pixie|bob|highlights?|balayage"
                          r"|extensions?|weave|relaxer|waxing|threading|eyebrows?|nails?|manicure|pedicure|facials?)\b")
_TRANSPORT_RE = re.compile(r"\b(?:get\s+there|on\s+the\s+t|subway|tube|train|tram|bus|buses|metro|station|transit|public\s+transport)\b")
_TRANSPORT_KEY_RE = re.compile(r"transit|transport|bus|train|tram|tube|metro|subway|getting")
_DO_YOU_DO_RE = re.compile(r"\b(?:do|can|could)\s+(?:you|ya|y'?all|you\s+guys)\s+(?:do|offer|cut)\b")
_DISCOUNT_RE = re.compile(r"\bdiscounts?\b|\bconcessions?\b|\bdeals?\s+(?:on|for)\b")
# "his name is padraig", "it's for padraig", "and its for my son": who the chair is for, said
# after the answer
_GUEST_CLAUSE_RE = re.compile(
    r"(?:^|[\s,.;!-]+)(?:and\s+|but\s+)?(?:(?:his|her|their)\s+name(?:'s|\s+is)|(?:he|she)(?:'s|\s+is)\s+called"
    r"|(?:it'?s|it\s+is|this\s+is|that'?s|thats)\s+for)\s+[a-z]")


def _yes_for_someone(canon: str, now: dt.datetime, shop: Shop) -> bool:
    """A yes followed by who the booking is for ("ok thats fine so, his name is padraig",
    "grand, it's for padraig"): the words before are a YES and the words after name no slot."""
    if "for" not in canon and "name" not in canon and "called" not in canon:
        return False
    m = _GUEST_CLAUSE_RE.search(canon)
    if m is None or m.start() == 0:
        return False
    head, clause = canon[: m.start()], canon[m.start():]
    if _understand(head, now, shop).intent is not Intent.YES:
        return False
    said = _understand(clause, now, shop)
    return not (said.service or said.barber or said.date or said.time or said.window or said.date_range)


# "do ye do beards", "are ye open", "where are ye based": after another word, "ye" is you (plural,
# as Ireland and the north of England say it); first in a message ("ye that's grand") it is yes
_YE_RE = re.compile(r"(?<=[a-z'])(\s+)ye(?![\w'])")


# "can i get a trim the day", "are yous open the day": today, as Scotland says it (not "on the
# day", "the day after", "the day off")
_THE_DAY_RE = re.compile(r"(?<!\bon )(?<!\bin )(?<!\bof )(?<!\ball )(?<!\bfor )(?<!\bthat )(?<!\bwhole )(?<!\bsame )(?<!\bwhat )"
                         r"\bthe\s+day\b(?!\s*(?:after|before|of|off|out|when|that|i|you|we|he|she|they|it|is|was|-))")


# "im on nights all week", "on earlies": their shifts, not the part of the day they ask for
_SHIFT_WORK_RE = re.compile(r"\bon\s+(?:nights|nightshift|night\s+shift|earlies|lates|days|the\s+night\s+shift)\b")
# "at work while half 12": Yorkshire's "while" is "till" before a time
_WHILE_RE = re.compile(r"\bwhile(?=\s+(?:half\s+|quarter\s+|about\s+)?\d)")


# "till 6 30", "at 9 45": an hour and its minutes with a space between them, after a time word
_HOUR_SPACE_MINUTES_RE = re.compile(r"\b(till|until|til|at|by|from|after|before|around|about|bout|like)\s+(\d{1,2})\s([0-5]\d)\b"
                                    r"(?!\s*(?:min|mins|minutes|hours|hrs|h\b|%|years?|yo\b|days?|weeks?))")


def _unslang(text: str) -> str:
    """Chat shorthand written out ("what time u open" -> "what time you open"); a message that
    is only one such word ("n", "ya") is left as it is: a reply, not a sentence."""
    if " " not in text.strip():
        return text
    text = _THE_DAY_RE.sub("today", text) if "the day" in text else text
    text = _WHILE_RE.sub("till", text) if "while" in text else text
    text = _SHIFT_WORK_RE.sub(" ", text) if "on " in text else text
    text = text.replace("early doors", "first thing")
    text = _HOUR_SPACE_MINUTES_RE.sub(r"\1 \2:\3", text) if " " in text else text  # "till 6 30": 6:30
    return _YE_RE.sub(r"\1you", _SLANG_RE.sub(lambda m: _SLANG[m.group(1)], text))


# a name where one is given: "his name is marco", "called jack", "for my son jack" (not typo-corrected
# into "march" or "back")
_GIVEN_NAME_RE = re.compile(r"\b(?:(?:his|her|their)\s+name(?:\s+is)?|name\s+is|name's|named|called|(?:it'?s|this\s+is)\s+for|(?:for|book|get)\s+(?:my|our)\s+"
                            r"(?:son|daughter|boy|girl|kid|grandson|granddaughter|nephew|niece|husband|wife|partner|boyfriend"
                            r"|girlfriend|fella|brother|sister|dad|mum|mom|friend|mate|lad)[\s,]+)\s*(?P<n>[a-z]{2,20})\b")


def _canonical_keeping_names(lexicon: ShopLexicon, cleaned: str, shop: Shop) -> str:
    """`lexicon.canonical(cleaned)`, but a name the message gives, and a word of a [shop.info] key
    ("tram", not "trim"), stay as written."""
    kept: list[tuple[int, int]] = []
    for m in _GIVEN_NAME_RE.finditer(cleaned):
        name = m["n"]
        if not (name in ABBREVIATIONS or name in COMMON_WORDS or name in RULE_WORDS or name in lexicon.vocabulary):
            kept.append((m.start("n"), m.end("n")))
    info_words = {w for k, _ in shop.info for w in re.split(r"[_\s-]+", k.lower()) if len(w) >= 3}
    if info_words:
        kept += [(m.start(), m.end()) for m in re.finditer(r"[a-z]+", cleaned) if m.group(0) in info_words]
    if not kept:
        return lexicon.canonical(cleaned)
    out, at = [], 0
    for start, end in sorted(kept):
        if start < at:
            continue
        out += [lexicon.canonical(cleaned[at:start]), cleaned[start:end]]
        at = end
    return "".join(out) + lexicon.canonical(cleaned[at:])


def _understand(raw: str, now: dt.datetime, shop: Shop) -> Understanding:
    local = _local_now(now, shop)
    today = local.date()
    lexicon = ShopLexicon.for_shop(shop)
    cleaned = _unslang(clean(raw))
    canon = _canonical_keeping_names(lexicon, cleaned, shop)
    code = _find_code(raw, lexicon.vocabulary)

    settled = _settled_reply(canon)
    if settled is not None:
        return Understanding(intent=settled, text=canon, explicit_intent=True)
    if _yes_for_someone(canon, now, shop):
        return Understanding(intent=Intent.YES, text=canon, explicit_intent=True)
    hour_with = re.match(r"((?:(?:ok|okay|yeah|yes|perfect|cool)[\s,]+)?)(\d{1,2}(?:[:.]\d\d)?\s+with\s+[a-z])", canon.strip())
    if hour_with is not None:  # "11 with mel if shes on": a time with that barber
        canon = f"{hour_with[1]}at {canon.strip()[hour_with.start(2):]}"
    if re.fullmatch(r"[1-9][0-5]\d", canon.strip()):
        canon = f"at {canon.strip()}"  # "930" alone: a time (four digits are read as one already)
    whole = intents.whole_message(canon)
    if whole is not None:
        intent, choice = whole
        date = None
        if intent is Intent.CHOICE and re.search(r"\d(?:st|nd|rd|th)\b", canon) and "one" not in canon:
            date = read_dates(Scan(canon), today=today, horizon_days=shop.horizon_days,
                              month_first=shop.timezone.startswith("America/")).date
        return Understanding(intent=intent, choice=choice, date=date, text=canon, explicit_intent=True)

    scan = Scan(canon)
    if "good" in canon:
        scan.take_all(_GREETING_RE, lambda m: True)
    services, barbers, spans, barber_starts = lexicon.find(canon, raw[:MAX_CHARS])
    if barbers and any(_KIN_BEFORE_RE.search(canon, 0, at) for at in barber_starts):
        # "book my son marcus a kids cut": the son's name, though a barber's too
        kept = [(key, at) for key, at in zip(barbers, barber_starts, strict=True) if not _KIN_BEFORE_RE.search(canon, 0, at)]
        barbers, barber_starts = [k for k, _ in kept], [at for _, at in kept]
    not_barbers = _excluded_barbers(canon, barbers, barber_starts)
    if not_barbers:  # "anyone but jono", "with mia, not jono": only the barbers wanted are named
        barbers = [b for b in barbers if b not in not_barbers]
    if len(set(services)) > 1:  # "make it just a regular cut, fades too dear": the one wanted replaces
        service_spans = [sp for sp in spans if sp[0] not in barber_starts]
        combo = _combo(canon, services, service_spans, shop)
        names = {k: svc.name.lower() for k in services if (svc := shop.service(k)) is not None}
        named_combos = [k for k, name in names.items() if _COMBO_NAME_RE.search(name)]
        # a service called a combo first ("fade and beard combo": not "Beard Trim & Line-up", whose name has a "&" too)
        named_combos.sort(key=lambda k: "combo" not in names[k])
        if combo is None and named_combos and len(set(services)) >= 3:
            combo = named_combos[0]  # "a fade and beard, is that the cut and beard thing": the combined service
        services = [combo] if combo else _wanted_services(canon, services, service_spans)
    if len(services) == 1 and any(canon[a:z] in _GENERIC_WORDS for a, z in spans if a not in barber_starts):
        kids = _for_a_child(canon, shop)
        if kids is not None:  # "a haircut for my grandson, hes 9": the shop's kids' service
            services = [kids]
    elif not services and _CHILD_AGE_RE.search(canon) and (kids := _for_a_child(canon, shop)) is not None:
        services = [kids]  # "put him in tmrw at 3:30, hes 9": no service named, a child's age said
    if len(services) <= 1 and all(canon[a:z] in _GENERIC_WORDS for a, z in spans if a not in barber_starts):
        senior = _for_a_senior(canon, shop)
        if senior is not None:  # "i am 71. i would like a haircut thursday": the shop's seniors' service
            services = [senior]
    for start, end in spans:
        scan.text = scan.text[:start] + " " * (end - start) + scan.text[end:]
    if code:
        scan.text = re.sub(r"\b" + code.lower() + r"\b", lambda m: " " * len(m.group(0)), scan.text)
    if "name" in canon or "called" in canon:  # "his name is marco": a name, never a month ("mar")
        scan.take_all(_NAMED_RE, lambda m: True)
    scan.take_all(_A_COUNT_RE, lambda m: True)  # "on 2 chairs", "for 3 of us": how many, never a day
    if "one" in canon or "option" in canon:  # "4 o'clock not the 4th one": an option shown, never a day
        scan.take_all(_NTH_ONE_RE, lambda m: True)
    if "still" in canon:  # "cancel tmrws one, still coming on the 17th": the 17th stays as it is
        scan.take_all(_STILL_ON_RE, lambda m: True)
    dates = read_dates(scan, today=today, horizon_days=shop.horizon_days,
                       month_first=shop.timezone.startswith("America/"))
    if dates.date is None and dates.date_range is None and _DATE_HINT_RE.search(scan.text):
        _dateparser_fallback(scan.text, local, shop, dates)
    if dates.weekday_only and dates.date is not None and "after" in canon and _WEEK_AFTER_RE.search(canon):
        # "the usual the week after, tues morning": that weekday of next week, never this week's
        dates.date = today + dt.timedelta(days=7 - today.weekday() + dates.date.weekday())
    soon = read_offset(scan, now=local, slot_minutes=shop.slot_minutes)
    if soon is not None and dates.date is None:
        dates.date = soon.date()
    times = read_times(scan, shop=shop, date=dates.date, date_ends=dates.ends,
                       today_window=dates.today_window, tonight_at=dates.tonight_at)
    if soon is not None and times.time is None:
        times.time = soon.time()
    if times.time is not None and times.window is None and "than" in canon and (
            than := re.search(r"\b(?:later|after)\s+than\b|\b(?:earlier|sooner|before)\s+than\b", canon)) is not None:
        # "anything later than quarter to 2": the times after it, never 13:45 itself
        minute = times.time.hour * 60 + times.time.minute
        label = f"{times.time:%H:%M}"
        times.window = (TimeWindow(minute + 1, 1440, f"after {label}") if than.group(0).startswith(("later", "after"))
                        else TimeWindow(0, minute, f"before {label}"))
        times.time = None
    date = dates.date
    if date is None and "this" in canon and _THIS_PART_RE.search(canon):
        date = today

    ambiguous = tuple(s for s, flag in (("date", dates.ambiguous), ("time", times.ambiguous)) if flag)
    any_barber = (intents.names_any_barber(canon) or bool(not_barbers)) and not barbers
    unknown_barber = None if barbers or any_barber else _unknown_barber(raw[:MAX_CHARS], lexicon)
    # "for the past 3 years", "late last month": days that are over are said, not asked for
    range_over = dates.date_range is not None and dates.date_range[1] < today
    has_slots = bool(services or barbers or any_barber or date or times.time or times.window
                     or (dates.date_range and not range_over) or times.options or dates.options)

    body = _YES_NO_LEAD_RE.sub("", canon) if has_slots else canon
    correction = intents.is_correction(canon) and (has_slots or body != canon)
    asks_booking = bool(services and (date or times.time or times.window))
    keyword = (intents.start_intent(body, has_slots) or intents.stop_intent(body, has_slots)
               or intents.special_intent(body, bool(barbers), asks_booking, bool(date and times.time)))
    if keyword is None and barbers and not services and not times.time and not times.window:
        first = min((sp for sp in spans if sp[0] in barber_starts), default=None)
        if first is not None and intents.asks_when_in(canon[:first[0]], canon[first[1]:]):
            keyword = Intent.WHO  # "dee workin thursday?", "marco in tmrw?", "whens mia in next"
    topic = None
    if keyword is None and not has_slots and intents.asks_what_to_know(body):
        keyword, topic = Intent.INFO, "address"  # "anything else i need to know?": where to come
    if keyword is None and not times.time and "book" in body and intents.NEED_TO_BOOK_RE.search(body):
        keyword, topic = Intent.INFO, "walk_ins"  # "ill pop in wednesday, do i need to book"
    if keyword is None:
        keyword = intents.keyword_intent(body)
        if keyword not in (Intent.CANCEL, Intent.RESCHEDULE, Intent.LIST):
            topic = intents.info_topic(body, _info_keys(shop))
            if topic is not None and _names_a_service(topic, services, shop, canon):
                topic = None  # "kids cut wed 10am", "isn't there a kids cut": about the service, not [shop.info]'s kids
            asks_a_time = bool(date or times.time or times.window)
            if topic is not None and services and date and (times.time or times.window) and keyword in (None, Intent.BOOK, Intent.PRICES):
                topic = None  # "both need fades this sat round 11? hes 10 so kids price for him": a booking first
            walk_in = topic == "walk_ins" and not services and not times.time  # "walk ins on a saturday?"
            if topic is not None and (walk_in or not ((keyword == Intent.BOOK and (services or asks_a_time))
                                                      or (keyword is None and services and asks_a_time))):
                keyword = Intent.INFO
            else:
                topic = None
    if (keyword is None or topic == "address") and not services and _TRANSPORT_RE.search(canon):
        transport = next((k for k in _info_keys(shop) if _TRANSPORT_KEY_RE.search(k)), None)
        if transport is not None:  # "how do i get there on the T": the shop's transit fact
            keyword, topic = Intent.INFO, transport
    if keyword is None and not services and not times.time and intents.asks_how_it_is(canon):
        keyword = Intent.INFO  # "how long is the wait usually on a friday": the shop's fact about waits, if it has one
        topic = next((k for k in _info_keys(shop) if re.search(r"wait|queue|busy", k)), None)
    if keyword is None and not has_slots and not code:
        keyword = _answer_first(canon)
    elif keyword is None and any_barber and not (services or barbers or date or times.time or times.window) \
            and _answer_first(canon) is Intent.YES:
        keyword = Intent.YES  # "aye whoever then", "yes anyone is fine": a yes that says who does not matter
    elif keyword == Intent.CANCEL and _new_slot_after_soft_cancel(canon, scan):
        keyword = Intent.RESCHEDULE  # "liam cant make saturday, sunday same time?": a move
    explicit = keyword is not None
    intent = keyword or (Intent.BOOK if has_slots else Intent.UNKNOWN)
    not_offered = None
    if intent is Intent.BOOK and not services and not (times.time or barbers) and "?" in canon:
        by_answer = intents.info_by_answer(canon, shop.info)  # "una get light for shop? nepa don take light": power
        if by_answer is not None:
            intent, explicit, topic = Intent.INFO, True, by_answer
    if intent is Intent.BOOK and not explicit and not (date or times.time or times.window or barbers):
        offer = intents.asked_offer(canon)  # "do u guys do braids or only cuts": braids, not a cut
        if offer is None and (other := _NOT_OURS_RE.search(canon)) and _DO_YOU_DO_RE.search(canon):
            offer = canon[other.start():].split("?")[0].strip()  # "do u do womens cuts? short pixie"
        if offer is not None and (not lexicon.find(offer, offer)[0] or _NOT_OURS_RE.search(offer)):
            intent, explicit, not_offered = Intent.INFO, True, offer  # "womens cuts? short pixie": not a men's cut
    if (intent is Intent.PRICES and (other := _NOT_OURS_RE.search(canon)) is not None
            and _DO_YOU_DO_RE.search(canon) and not lexicon.find(other.group(0), other.group(0))[0]):
        not_offered = other.group(0)  # "how much is a grade 1 all over? and do u do eyebrows": both asked
    if keyword is None and services and not times.time and _DISCOUNT_RE.search(canon):
        intent, explicit = Intent.PRICES, True  # "a reduced rate for pensioners", "discount on the kids cut": its price
    lead = _LEAD_PICK_RE.match(canon)
    if lead is not None and intent in (Intent.INFO, Intent.BOOK) and barbers and not times.time:
        # "9 is perfect. can it be with sipho tho? the kids like him": the time picked, with that barber
        at = _understand(f"at {lead['n']} with {barbers[0]}", now, shop)
        return dataclasses.replace(at, text=canon, service=services[0] if services else None, services=tuple(services))
    if intent is Intent.UNKNOWN and lead is not None:
        return Understanding(intent=Intent.CHOICE, choice=int(lead["n"]), text=canon, explicit_intent=True)
    if intent is Intent.UNKNOWN:  # "do you do eyebrows?", "can i bring my dog": a question, answered as one
        topic = intents.info_by_answer(canon, shop.info)
        not_offered = None if topic else intents.asked_offer(canon)
        if topic is None and not_offered is None and (other := _NOT_OURS_RE.search(canon)) is not None:
            not_offered = other.group(0)  # "what about eyebrows tho"
        if topic is not None or not_offered is not None or intents.shop_question(canon):
            intent, explicit = Intent.INFO, True
    turn = _CHANGE_OF_MIND_RE.search(canon) if intent in (Intent.CANCEL, Intent.RESCHEDULE, Intent.BOOK) else None
    if turn is not None and turn.start() > 0:
        later = _understand(canon[turn.end():], now, shop)  # "cancel his haircut... actually no, shift to saturday"
        if later.intent in (Intent.CANCEL, Intent.RESCHEDULE) and later.intent is not intent:
            return dataclasses.replace(later, text=canon, service=later.service or (services[0] if services else None),
                                       services=later.services or tuple(dict.fromkeys(services)),
                                       barber=later.barber or (barbers[0] if barbers else None))

    return Understanding(
        intent=intent,
        service=services[0] if services else None,
        barber=barbers[0] if barbers else None,
        any_barber=any_barber,
        unknown_barber=unknown_barber,
        date=date,
        time=times.time,
        window=times.window,
        code=code,
        correction=correction,
        ambiguous=ambiguous,
        past_date=dates.past or range_over,
        text=canon,
        services=tuple(dict.fromkeys(services)),
        date_range=dates.date_range,
        explicit_intent=explicit,
        old_date=dates.old_date,
        bare_weekday=dates.weekday_only and date == dates.date and date is not None,
        week_later=dates.week_later if dates.week_later and date == dates.week_later - dt.timedelta(days=7) else None,
        date_options=dates.options,
        time_options=times.options,
        topic=topic,
        pronoun=not barbers and intents.names_pronoun(canon),
        not_barbers=not_barbers,
        not_offered=not_offered,
    )


# a relation word right before a name: the name is who the chair is for ("my son marcus")
_KIN_BEFORE_RE = re.compile(r"\b(?:my|our|his|her)\s+(?:little\s+|young\s+|eldest\s+|youngest\s+)?(?:son|daughter|boy|girl|kid|child"
                            r"|nephew|niece|grandson|granddaughter|brother|sister|husband|wife|partner|dad|father|friend|mate"
                            r"|lad|boyfriend|girlfriend|fella|fiance|cousin)\s+(?:named\s+|called\s+)?$")


# the words before a barber's name that rule them out: "not (with) jono", "anyone but jono",
# "except jono", "without jono", "with mia instead of jono", "rather not see jono"
_NOT_BARBER_RE = re.compile(
    r"\b(?:not|except|excluding|without|apart\s+from|other\s+than|rather\s+than|instead\s+of|besides"
    r"|(?:any\s?one|any\s?body|some\s?one|some\s?body|any\s+barber|any\s+other|anyone\s+else)\s+but"
    r"|don't\s+(?:want|put\s+me\s+with|book\s+me\s+(?:in\s+)?with)|not\s+keen\s+on|rather\s+not(?:\s+(?:see|have))?)"
    r"(?:\s+(?:with|by|see|have))?(?:\s+the)?[\s,]*$")


def _excluded_barbers(canon: str, barbers: list[str], starts: list[int]) -> tuple[str, ...]:
    """The barbers the message rules out ("not with jono", "anyone but mia"), in order."""
    if not barbers or not any(w in canon for w in ("not", "but", "except", "without", "apart", "other",
                                                    "rather", "instead", "besides", "don't")):
        return ()
    out = [key for key, at in zip(barbers, starts, strict=True) if _NOT_BARBER_RE.search(canon, 0, at)]
    return tuple(dict.fromkeys(out))


# the words before a service that rule it out ("not the fade", "instead of a fade", "no fade"),
# and those that make it the one wanted over any other named ("just a cut", "make it a cut",
# "change it to a cut", "a cut instead")
_NOT_SERVICE_RE = re.compile(
    r"\b(?:not|no|without|instead\s+of|rather\s+than|other\s+than|except|forget|skip|scrap|drop)"
    r"(?:\s+(?:the|a|an|my|that|with))*[\s,]*$")
_ONLY_SERVICE_RE = re.compile(
    r"\b(?:just|only|make\s+it|change\s+it\s+to|switch\s+(?:it\s+)?to|swap\s+(?:it\s+)?(?:for|to))"
    r"(?:\s+(?:the|a|an|just|only))*[\s,]*$")
_JOINED_RE = re.compile(r"^\s*(?:and|an|n|&|\+|plus|with)(?:\s+(?:a|an|the))?\s*$")  # "fade an beard": and
_COMBO_NAME_RE = re.compile(r"\s(?:and|&|\+)\s")
_PAIR_SPLIT_RE = re.compile(r"\s+(?:and|&|\+|n)\s+")


def _combo(canon: str, services: list[str], spans: list[tuple[int, int]], shop: Shop) -> str | None:
    """The shop's service made of two joined ones, in either order ("a beard trim and haircut"
    with a "haircut and beard" service): its key, else None."""
    if len(services) != 2 or len(spans) != 2 or not _JOINED_RE.match(canon[spans[0][1]:spans[1][0]]):
        return None
    if (by_names := combined_service(shop, services[0], services[1])) is not None:
        return by_names  # "a chiskop n beard": the cut (by another of its names) and beard service
    said = [canon[a:z] for a, z in spans]
    for svc in shop.services:
        for name in (svc.name.lower(), *svc.aliases):
            parts = _PAIR_SPLIT_RE.split(name)
            if len(parts) == 2 and all(any(p in t or t in p for t in said) for p in parts) and svc.key not in services:
                return svc.key
    return None


def combined_service(shop: Shop, first: str, second: str) -> str | None:
    """The shop's service made of the services `first` and `second` (a "Cut & beard combo" aliased
    "cut and beard", for a haircut and a beard trim): its key, else None."""
    named = [{n.lower() for n in (svc.name, svc.key, *svc.aliases)} for k in (first, second) if (svc := shop.service(k))]
    if len(named) != 2:
        return None
    for svc in shop.services:
        if svc.key in (first, second):
            continue
        for name in (svc.name.lower(), *svc.aliases):
            parts = _PAIR_SPLIT_RE.split(name)
            if len(parts) == 2 and any(all(any(p in w or w in p for w in ws) for p, ws in zip(pair, named, strict=True))
                                       for pair in (parts, parts[::-1])):
                return svc.key
    return None


_INSTEAD_AFTER_RE = re.compile(r"[\s,]*(?:please\s+|pls\s+)?instead\b(?!\s+of)")


# "a trim for the wean", "a cut for my kid": the service after it names who the first one is for
_FOR_WHOM_RE = re.compile(r"\bfor\s+(?:the|my|our|his|her|a)\s+(?:(?:wee|little|lil|young|youngest|eldest)\s+)?$")


# a child the chair is for: an age of 12 or under ("hes 9", "ages 6 and 9", "8 year old") or a
# word for a child ("the wee lad", "my little boy", "toddler")
_CHILD_AGE_RE = re.compile(r"\b(?:he's|she's|hes|shes|aged?|ages|is|they're)\s+(?P<a>\d{1,2})\b(?!\s*(?:am|pm|:|\.\d|o'clock))"
                           r"|\b(?P<b>\d{1,2})\s*(?:yo|y/o|years?\s*old|yrs?\s*old|year-old)\b")
_CHILD_WORD_RE = re.compile(r"\b(?:kid|kids|child|children|toddler|wean|weans|bairn|nipper|little\s+(?:boy|girl|one|man|fella|lad)"
                            r"|wee\s+(?:lad|man|one|boy|girl|fella)|young\s+lad|my\s+boys|my\s+two\s+boys)\b")
_KIDS_SERVICE_RE = re.compile(r"\b(?:kid|kids|kiddies|child|childs|children|junior|boys?)\b")


# a senior the chair is for: an age of 60 or over ("i am 71", "hes 80", "72 years old")
_SENIOR_AGE_RE = re.compile(r"\b(?:i'm|i\s+am|im|he's|she's|hes|shes|aged?)\s+(?P<a>[6-9]\d)\b(?!\s*(?:am|pm|:|\.\d|o'clock|min))"
                            r"|\b(?P<b>[6-9]\d)\s*(?:yo|y/o|years?\s*old|yrs?\s*old|year-old)\b")
_SENIOR_SERVICE_RE = re.compile(r"\b(?:seniors?|pensioners?|oap|elders?|old\s*timers?|60\+|65\+|70\+)")


def _for_a_senior(canon: str, shop: Shop) -> str | None:
    """The shop's service for seniors when the message gives an age of 60 or over, else None."""
    m = _SENIOR_AGE_RE.search(canon)
    if m is None:
        return None
    age = int(m["a"] or m["b"])
    for svc in shop.services:
        names = (svc.name, svc.key, *svc.aliases)
        if any(_SENIOR_SERVICE_RE.search(n.lower()) for n in names):
            limit = re.search(r"(\d\d)\s*\+", svc.name)
            return svc.key if age >= (int(limit.group(1)) if limit else 60) else None
    return None


def _for_a_child(canon: str, shop: Shop) -> str | None:
    """The shop's service for children when the message says the chair is for a child, else None."""
    m = _CHILD_AGE_RE.search(canon)
    if re.search(r"\bnot\s+(?:a\s+|the\s+)?kids?\b", canon):
        return None  # "hes 14 so not kids price"
    young = int(m["a"] or m["b"]) <= 12 if m is not None else _CHILD_WORD_RE.search(canon) is not None
    if not young:
        return None
    for svc in shop.services:
        if any(_KIDS_SERVICE_RE.search(name.lower()) for name in (svc.name, svc.key, *svc.aliases)):
            return svc.key
    return None


# words any haircut goes by; beside the name of a particular service they mean that one
_GENERIC_WORDS = frozenset(("cut", "cuts", "haircut", "haircuts", "hair cut", "trim", "trims", "hair"))
_ALSO_RE = re.compile(r"\band\b|\bplus\b|\balso\b|\bas\s+well\b|\btoo\b|\bwith\b|\bthen\b|\bafter\b|&|\+|\bboth\b")


# "tyler did my cut last time": a service had before, not the one asked for
_PAST_SERVICE_RE = re.compile(r"\b(?:did|done|gave\s+me)\s+(?:my|me\s+a|a|his|her)\s+$|\bmy\s+last\s+$")


def _wanted_services(canon: str, services: list[str], spans: list[tuple[int, int]]) -> list[str]:
    """Of several services named, the ones the customer wants: one named with "just", "make it"
    or "instead" replaces the others ("actually make it just a regular cut, fades too dear",
    "not the fade, regular cut instead"); one ruled out ("not the fade") is dropped while another
    remains; one that names who the other is for ("a trim for the wean") is the one, and so is a
    particular service beside a word any haircut goes by ("a trim ... the oap one"). Otherwise all
    of them, in order ("haircut and beard")."""
    if len(spans) != len(services):
        return services
    for_whom = [key for key, (a, _) in zip(services, spans, strict=True) if _FOR_WHOM_RE.search(canon, 0, a)]
    if for_whom and services[0] not in for_whom:  # "a wee trim for the wean": the kids' service is the one
        return for_whom
    generic = [canon[a:z] in _GENERIC_WORDS for a, z in spans]
    if len(services) == 2 and generic.count(True) == 1 and not _ALSO_RE.search(canon, spans[0][1], spans[1][0]):
        # "a trim for my nan, can she get the oap one": the named kind of cut is the cut
        return [key for key, g in zip(services, generic, strict=True) if not g]
    marked = [bool(_ONLY_SERVICE_RE.search(canon, 0, a) or _INSTEAD_AFTER_RE.match(canon, z)) for a, z in spans]
    for _ in range(2):  # "make it a cut and beard", "cut and beard instead": the pair is wanted
        for i in range(len(spans) - 1):
            if _JOINED_RE.match(canon[spans[i][1]:spans[i + 1][0]]) and (marked[i] or marked[i + 1]):
                marked[i] = marked[i + 1] = True
    only = [key for key, m in zip(services, marked, strict=True) if m]
    if only:
        return only
    kept = [key for key, (a, _) in zip(services, spans, strict=True)
            if not _NOT_SERVICE_RE.search(canon, 0, a) and not _PAST_SERVICE_RE.search(canon, 0, a)]
    return kept or services


def _names_a_service(topic: str, services: tuple[str, ...] | list[str], shop: Shop, text: str) -> bool:
    """Whether the message names a service by more than the words of the [shop.info] key `topic`
    ("a kids cut" is the service; "do you take kids?" is the shop fact, even where "kids" alone
    would name the service)."""
    words = topic.replace("_", " ").replace("-", " ").lower()
    stem = words[:-1] if words.endswith("s") and len(words) > 3 else words
    if services and re.search(r"\b" + re.escape(stem) + r"s?\s+one\b", text):
        return True  # "and the kids one for my brother": the service of that name
    for key in services:
        svc = shop.service(key)
        if svc is None:
            continue
        for name in (svc.name.lower(), svc.key, *svc.aliases):
            if stem in name and name not in (stem, stem + "s") and re.search(r"\b" + re.escape(name) + r"s?\b", text):
                return True
    return False


def _info_keys(shop: Shop) -> tuple[str, ...]:
    return tuple(k for k, _ in shop.info)


def _find_code(raw: str, vocabulary: frozenset[str]) -> str | None:
    """A booking code: 4 characters of the code alphabet with a digit, or typed in capitals."""
    for m in _CODE_RE.finditer(raw[:500]):
        token = m.group(1)
        upper = token.upper()
        if any(ch not in CODE_ALPHABET for ch in upper):
            continue
        if token.isdigit():
            if re.search(r"(?:\b(?:at|around|about)\s*|@\s*)$", raw[: m.start()].lower()):
                continue
        elif _ORDINAL_RE.match(token) and not token.isupper():
            continue  # "the 25th", "22nd": a day of the month (a code typed so is written in capitals)
        elif not (any(ch.isdigit() for ch in token) or token.isupper()):
            continue
        low = token.lower()
        if low in COMMON_WORDS or low in vocabulary or low in RULE_WORDS or low in _CODE_STOPWORDS:
            continue
        return upper
    return None


_ORDINAL_RE = re.compile(r"^\d{1,2}(?:st|nd|rd|th)$", re.IGNORECASE)
_CODE_STOPWORDS = wordlist(
    "help free fade hair beard trim cut next week date time slot sure yeah yes nah nope stop "
    "thanks mate please what when where with sam alex shave menu info late early fine great "
    "hey hiya tues weds thur thurs tmrw 2day 4pm 5pm 2pm 3pm 6pm 7pm 8pm 9am 8am 9pm 3am"
)


def _dateparser_fallback(text: str, local: dt.datetime, shop: Shop, dates) -> None:  # type: ignore[no-untyped-def]
    """Ask dateparser for a date phrase the rules did not read."""
    stats["dateparser_calls"] += 1
    try:
        from dateparser.search import search_dates

        found = search_dates(
            " ".join(text.split()),
            languages=["en"],
            settings={
                "RELATIVE_BASE": local.replace(tzinfo=None),
                "PREFER_DATES_FROM": "future",
                "DATE_ORDER": "MDY" if shop.timezone.startswith("America/") else "DMY",
                "RETURN_AS_TIMEZONE_AWARE": False,
            },
        )
    except Exception:  # dateparser's own bugs must not reach the customer
        log.warning("dateparser failed", exc_info=True)
        return
    for phrase, value in found or ():
        if _DATE_HINT_RE.search(phrase) and re.search(r"\d|\b(?:the|of)\b", phrase):
            d, past = value.date(), value.date() < local.date()
            if past and not re.search(r"\b20\d\d\b", phrase):  # no year given: the same rule as the rules
                rolled = _month_day(d.month, d.day, None, local.date(), shop.horizon_days)
                if rolled is not None:
                    d, past = rolled.date, rolled.past
            dates.date = d
            dates.past = past
            return


_WITH_NAME_RE = re.compile(r"\bwith\s+([A-Za-z][a-z]{1,19})\b")


def _unknown_barber(raw: str, lexicon: ShopLexicon) -> str | None:
    """A name after "with" that is none of the shop's barbers ("with Bob"), to be asked about."""
    for m in _WITH_NAME_RE.finditer(raw):
        word = m.group(1)
        low = word.lower()
        if low in COMMON_WORDS or low in RULE_WORDS or low in lexicon.vocabulary:
            continue
        if word[0].isupper() or len(low) >= 3:
            return word.capitalize()
    return None
