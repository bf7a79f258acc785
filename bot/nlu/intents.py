"""What a message asks for: whole-message replies ("yes", "2", "STOP") and keyword intents.

Keyword order decides conflicts: cancel > reschedule > list > hours > prices > availability >
book > help. A question about opening hours or prices is answered as one, not read as a
request for free times or a booking ("how much is a beard trim?" used to pick the service).
"""

from __future__ import annotations

import re

from bot.nlu.scan import has_any
from bot.nlu.types import Intent
from bot.nlu.words import COMMON_WORDS, RULE_WORDS, wordlist

_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
             "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10, "1st": 1, "2nd": 2, "3rd": 3}

FILLER = wordlist("please thanks thank you mate cheers x xx then that that's is it its fine great "
                   "lol haha sir bro boss man buddy pal love just ok okay oh ah so well damn dang darn aw aww ugh shame")
YES = {"yes", "y", "yeah", "yep", "yup", "yas", "yeh", "yse", "ys", "yah", "yus", "yesh", "ok", "okay", "confirm", "confirmed", "sure",
       "perfect", "correct", "alright", "absolutely", "definitely", "cool", "lovely", "deal", "ya", "yea", "aye",
       "sweet", "bet", "yessir", "ja", "yebo", "sharp", "shap", "fasho", "facts", "sawa", "poa", "affirmative",
       "roger", "si", "sí", "claro", "dale", "vale", "ight", "aight", "fs", "yess", "yesss", "k", "kk", "righto",
       "grand", "sound", "deadly", "class", "brilliant", "brill", "suits", "suit", "lush", "tidy", "mint", "lekker", "ace", "champion", "cracking", "spot on", "nice", "sorted", "safe", "choice", "chur", "can", "steady",
       "great", "fine", "good", "👍", "👌", "✅", "👍🏻", "👍🏼", "👍🏽", "👍🏾", "👍🏿", "✔", "✔️"}
YES_PHRASES = ("sounds good", "go ahead", "do it", "book it", "of course", "please do",
               "all right", "that works", "works for me", "yes please", "thumbs up", "sure thing",
               "sweet as", "go on", "that's fine", "thats fine", "that is fine", "that'll do", "fair enough",
               "why not", "lets do it", "let's do it", "sounds great", "perfect thanks", "that's the one",
               "thats the one", "that one", "that's it", "thats it", "spot on", "looks good", "looks right",
               "for sure", "fo sho", "say less", "sounds like a plan", "lock it in", "would suit",
               "that suits", "suits me", "nice one", "thanks a mil", "go on so", "will do")
NO = {"no", "n", "nope", "nah", "don't", "👎", "❌", "✖", "negative"}
NO_PHRASES = ("no thanks", "no thank you", "not now", "never mind", "nevermind", "forget it", "don't worry",
              "dont worry", "changed my mind", "change my mind", "change of plan", "change of plans",
              "not really", "leave it", "no way", "don't bother", "dont bother")
THANKS = {"thanks", "thank", "thankyou", "cheers", "ta", "🙏", "appreciated", "appreciate", "bye", "goodbye", "jazakallah",
          "shukran", "asante",
          "cya", "laters", "ttyl"}
# a goodbye is answered like thanks ("see you then" had been "sorry, I didn't get that")
FAREWELL_PHRASES = ("see you then", "see you soon", "see you later", "see you there", "see ya", "see you",
                    "speak soon", "talk soon", "have a good one", "have a good day", "take care",
                    "no worries", "no probs", "no problem", "all good", "all sorted")
# "see you next week", "see ya saturday", "see u at 3": a goodbye that names when, not a request
_SEE_YOU_WHEN_RE = re.compile(
    r"\bsee\s+(?:you|ya|u)\s+(?:(?:on|at|next|this|in|the|a|few|couple|of)\s+)*"
    r"(?:(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)\w*|tomorrow|tmrw|tonight|today|week|weeks|month|months"
    r"|year|weekend|\d{1,2}(?:st|nd|rd|th|:\d\d|\s*(?:am|pm))?)\b")
GREETINGS = {"hi", "hello", "hey", "hiya", "yo", "howdy", "heya", "hallo", "hullo", "sup", "howzit", "sawubona", "molo", "how far",
             "salam", "salaam", "assalamu", "alaikum", "habari", "niaje", "bro", "habibi",
             "there", "morning", "afternoon", "evening", "good", "👋", "all", "guys", "everyone"}
_HELLO = {"hi", "hello", "hey", "hiya", "yo", "howdy", "heya", "hallo", "hullo", "sup", "howzit", "sawubona", "molo",
          "salam", "salaam", "assalamu", "habari", "niaje", "👋"}
HELP_WHOLE = {"help", "?", "menu", "options", "commands", "info", "what can you do",
              "how does this work", "help me", "what do you do", "instructions", "h"}
STOP_WHOLE = {"stop", "unsubscribe", "stop reminders", "stop all", "stop messages",
              "stop texting me", "stop messaging me", "stop sending reminders", "no more reminders",
              "pause reminders", "turn off reminders", "stop the reminders", "opt out", "optout"}
START_WHOLE = {"start", "resume", "resume reminders", "start reminders", "unstop",
               "turn on reminders", "start the reminders", "restart reminders"}

_WORDS_RE = re.compile(r"[^\W_]+(?:'[a-z]+)?|[^\w\s.,!]+", re.UNICODE)
CHOICE_RE = re.compile(
    r"^(?:(?:option|number|no|choice|opt|nr|num|#)\s*\.?\s*#?\s*)?#?\s*(?P<n>\d{1,2})\s*(?:\)|\.)?"
    r"(?:\s*(?:one|option|please|pls|thanks|!|\.)+)?$"
)
ORDINAL_CHOICE_RE = re.compile(
    r"^(?:the\s+)?(?P<o>" + "|".join(_ORDINALS) + r"|\d{1,2}(?:st|nd|rd|th))\s*(?P<tail>one|option|slot|time)?"
    r"(?:\s*(?:please|pls|thanks))?$"
)

CANCEL_RE = re.compile(r"\b(?:knock\s+(?:it|that|\w+(?:'s)?(?:\s+one)?)\s+on\s+the\s+head|cancel\w*|call(?:ing)?\s+(?:it\s+)?off|scrap\s+(?:it|my|the)|(?:scratch|ditch)\s+(?:my|the)\s+(?!(?:idea|time|day|last|first)\b)\w)"
                       # "ion need that thursday appt no more": the booking not wanted
                       r"|\b(?:don't|do\s+not|no\s+longer)\s+need\s+(?:that|my|the|this)\s+(?:\w+\s+)?(?:appt|appointment|booking|slot)\b")
SOFT_CANCEL_RE = re.compile(
    r"\b(?:can't|cant|cannot|can\s+not|won't|wont|unable\s+to|not\s+going\s+to|not\s+gonna"
    r"|(?:won't|wont|will\s+not|not|no\s+longer)\s+be\s+able\s+to)\s+make\s+(?:it|that|then"
    r"|(?:my|his|her|our|their|the)\s+\w+|(?:on\s+)?(?:mon|tues|wednes|thurs|fri|satur|sun)days?|tomorrow|today|tonight)\b"
    r"|\bnot\s+coming\b|\bwon't\s+be\s+(?:able\s+to\s+)?(?:coming|there)\b"
)
RESCHEDULE_RE = re.compile(
    r"\b(?:move|moving|moved|reschedul\w*|re-schedul\w*|rebook\w*|change|changing|postpone\w*|swap"
    r"|push\s+(?:it\s+|me\s+|(?:my|his|her|their|the|[a-z]+'?s)\s+\w+(?:\s+(?:thing|one|appointment|booking|appt|slot|cut))?\s+|(?:tomorrow|today|tonight|(?:mon|tues|wednes|thurs|fri|satur|sun)day)(?:'?s)?\s+(?:one\s+)?|the\s+one\s+(?:on\s+|this\s+|next\s+)?\w+\s+)?(?:back|forward|later|out|on|to)|put\s+(?:it|me|(?:my|his|her|their|the)\s+\w+)\s+back|bring\s+(?:it\s+)?forward|shift(?=\s+(?:it|me|my|the|him|her|them|to|back|forward|over|that))"
    r"|earlier|(?<!see you )(?<!talk )later(?!\s+than)|another\s+(?:time|day|slot)|different\s+(?:time|day|slot))\b"
)
LIST_RE = re.compile(
    r"\bwhat(?:'s|s)?\s+(?:is\s+|be\s+)?my\s+(?:booking|appointment|reservation)s?\b"
    r"|\bwhat\s+(?:bookings|appointments)\b|\b(?:bookings|appointments)\s+(?:do|have)\s+i\b"
    r"|\b(?:what|which|show|list|check|see|when|where)\b[^.?!]*\bmy\b[^.?!]*\b(?:booking|appointment|reservation)s?\b"
    r"|\bmy\s+(?:upcoming\s+|next\s+)?(?:bookings|appointments|reservations)\b|\bwhen(?:'s|\s+is)\s+my\b"
    r"|\bdo\s+i\s+have\s+(?:a|an|any)\s+(?:booking|appointment)|\bam\s+i\s+booked\b|\bupcoming\b"
    r"|\b(?:what|which|when)\b[^.?!]*\b(?:did|have)\s+i\s+(?:book|booked|get|got|go\s+for)\b"
    r"|\b(?:what\s+(?:time|day|date)|when)\s+(?:am\s+i|i'm|do\s+i\s+(?:come|need\s+to\s+(?:come|be)))"
    r"\s+(?:in|booked|coming|on|down|due|getting|there|with)\b"
    r"|\bremind\s+me\s+(?:when|what\s+time|what\s+day)\b"
    r"|\bhow\s+many\s+(?:appts?|appointments|bookings)\b"
    r"|\b(?:what|which|when)\b[^.?!]*\b(?:i|i'm|am\s+i)\s+(?:got\s+|been\s+)?booked\b"
    # "what time is mason's haircut again", "when's jack's appointment": a booking named by whose it is
    r"|\bwhat\s+time\s+(?:is|was)\s+[a-z]+\s+booked\b|\bis\s+it\s+still\s+on\b"
    r"|\b(?:what\s+(?:time|day)|when)(?:'s|\s+is|\s+was)\s+(?:my|our|his|her|the|[a-z]+'s|[a-z]+s)\s+(?:\w+\s+){0,2}"
    r"(?:booking|appointment|appt|cut|haircut|trim|fade|shave|one)\b"
    # "what time was mine again", "have i got anything booked", "do i already have one": their bookings
    r"|\bwhat\s+(?:time|day)\s+(?:is|was|'s)\s+(?:mine|my\s+one|it\s+again)\b|\bwhen(?:'s|\s+is|\s+was)\s+mine\b"
    r"|\b(?:have|do)\s+i\s+(?:already\s+)?(?:got|have)\s+(?:anything|any|one|a\s+booking|an\s+appointment)"
    r"(?:\s+(?:booked|on|in))?\b(?!\s+(?:free|available|on\s+(?:friday|saturday)))"
    # "did my booking go thru for saturday": their bookings
    r"|\bdid\s+(?:my|the|me)\s+(?:booking|appointment|appt)\s+(?:go\s+(?:thru|through)|work|get\s+made|come\s+through)\b"
    # "still on for thursday?", "am i still booked in": their bookings
    r"|\b(?:still\s+on|still\s+booked|still\s+happening|still\s+good)\s+for\b|\bam\s+i\s+still\s+(?:on|booked|in)\b"
    # "and its with danny right?": their booking's barber, asked to be sure
    r"|^(?:and\s+|so\s+)?(?:it'?s|its|is\s+it|that'?s|thats)\s+with\s+[a-z]+[\s,]*(?:right|yeah|yea|yes|correct|innit|yh)?\s*\?*$"
    # "and whos doing it", "who's it with", "which barber am i with": their booking's barber
    r"|\bwho(?:'s|\s+is|\s+will\s+be)?\s+(?:doing|cutting)\s+(?:it|mine|my\s+\w+|me)\b|\bwho(?:'s|\s+is)\s+(?:it|that|this)\s+with\b"
    r"|\bwhich\s+barber\s+(?:is\s+it|am\s+i|have\s+i|did\s+i|is\s+my)\b"
)
AVAILABILITY_RE = re.compile(
    r"\b(?:any|free|open)\s+(?:slots?|spaces?|spots?|times?|appointments?|availability|openings?)\b"
    r"|\bslots\b|\bavailab\w*|\bwhat\s+times?\b|\bwhen\s+can\b|\bwhen\s+are\s+you\b|\bwhen\s+(?:is|are)\s+\w+\s+free\b"
    r"|\bare\s+you\s+(?:open|free|busy)\b|\bopen\s+(?:on|at|tomorrow|today|this)\b|\bfree\b|\bopening\s+hours\b"
    r"|\bis\s+there\s+(?:anything|any)\b(?!\s+(?:else\s+)?(?:i|we|you)\s+(?:need|should|have|must|ought)\b)|\bany\s?time\b(?!\s+(?:is|works|will|fine))|\bgot\s+anything\b"
    r"|\bhave\s+(?:you\s+got\s+)?anything\b|\bfully\s+booked\b|\bany\s+openings?\b|\b(?:earliest|soonest)\b"
    r"|\bnext\s+(?:free|available)\b|\b(?:what|which)\s+(?:days?|dates?)\b|\bwhat(?:'s|\s+is)\s+(?:free|open)\b|\bdo\s+you\s+have\s+(?:any|space|room)\b"
)
HOURS_RE = re.compile(
    r"\b(?:opening|open|business|shop)\s+(?:hours|times)\b|\bwhat(?:'s|\s+is|\s+are)?\s+(?:your|the|you|yer|ur)\s+hours\b"
    r"|\b(?:what\s+time|when)\s+(?:(?:do|does|will)\s+)?(?:you(?:\s+(?:guys|all|lot))?|the\s+shop|it)\s+(?:open|close|shut)\b"
    r"|\bwhat\s+time\s+(?:are\s+you|is\s+the\s+shop)\s+open\b|\bhow\s+late\s+(?:are\s+you|do\s+you)\b"
    r"|\b(?:open|opened)\s+(?:till|until|til|to)\b(?!\s+\d)|\bclosing\s+time\b"
    r"|\b(?:what'?s|what\s+is)\s+the\s+(?:latest|earliest)\s+(?:you|u|ya)\s+(?:do|open|go|cut|take\s+people)\s+(?:on|of)\b"
    r"|\b(?:(?:are|r)\s+)?(?:you|u|ya)(?:\s+(?:guys|all|lot))?\s+open\b(?!\s+(?:at|till|until|til|from)\b)"
    r"(?![^.?!]*(?:\d\s*(?:am|pm)|\d[:.]\d|\bat\s+\d|o'clock))|^\W*hours\W*$"
    r"|\bdo\s+you\s+(?:open|work)\s+(?:on\s+)?(?:weekends?|(?:sun|mon|tues|wednes|thurs|fri|satur)days?|public\s+holidays)\b"
    # "open on monday?", "open tmrw?": the whole message a question about opening; "sunday timing(s)"
    r"|^\W*(?:are\s+(?:you|u)\s+|r\s+u\s+|you\s+)?open\s+(?:on\s+)?(?:(?:this|next)\s+)?"
    r"(?:(?:sun|mon|tues|wednes|thurs|fri|satur)days?|tomorrow|today|tonight|weekends?)\W*$"
    r"|\btimings?\b"
)
PRICES_RE = re.compile(
    r"\bhow\s+much\b|\bprices?\b|\bpricing\b|\bprice\s+list\b|\bwhat\s+do\s+you\s+charge\b"
    r"|\b(?:what|how)\s+(?:does|do|is)\b[^.?!]*\bcost\b|\bcosts?\s+(?:of|for)\b|\bhow\s+expensive\b"
    r"|\bwhat\s+(?:does|do|would|will)\s+(?:that|it|they|those|both)\s+come\s+to\b|\bhow\s+much\s+(?:altogether|in\s+total)\b"
    r"|\bhow\s+long\s+(?:a|an|the)\s+[a-z ]{2,30}?\s+takes?\b"
    r"|\bhow\s+long\s+(?:is|does|do|will|would|for|takes?)\b(?![^.?!]*\b(?:wait|queue|late|my|mine)\b)"
    r"|\b(?:is\s+it|it'?s|still)\b[^.?!]*(?:[£$€]\s?\d|\b\d+\s*(?:quid|bucks|dollars|pounds|euros|rand)\b)"
    r"|\b(?:have|got|do)\s+(?:a|any)\s+(?:\w+\s+)?(?:deal|deals|offer|offers)\b"
    r"|\b(?:reduced|cheaper|special|lower)\s+(?:rate|price)s?\b|\bcheapest\b|\b(?:what'?s|whats|what\s+is|what\s+are)\s+(?:the|your|ur)\s+rates?\b"
)
BOOK_RE = re.compile(
    r"\b(?:book\w*|appointment|reserve|reservation|can\s+i\s+(?:get|have|grab|come|book|pop|do)"
    r"|could\s+i\s+(?:get|have|come|book)|i(?:'d|\s+would)\s+like|i\s+want|i\s+need|i'd\s+love"
    r"|get\s+me|put\s+me\s+(?:down|in)|fit\s+me\s+in|squeeze\s+me\s+in|come\s+in|pop\s+in|need\s+a|want\s+a)\b"
)
HELP_RE = re.compile(r"\b(?:help|menu|what\s+can\s+you\s+do|how\s+does\s+this\s+work|commands)\b")
CORRECTION_RE = re.compile(
    r"\b(?:actually|instead|(?<!can't )(?<!cannot )(?<!not )(?<!won't )(?<!to )make\s+it|change\s+(?:it\s+|that\s+)?to|rather|i\s+meant|i\s+mean|meant\s+to\s+say"
    r"|scratch\s+that|on\s+second\s+thoughts?|sorry\s+i\s+meant|wait)\b|^(?:no|nope|nah|not)\b"
)
ANY_BARBER_RE = re.compile(
    r"\b(?:any\s?one|any\s?body|any\s+barber|any\s+of\s+(?:them|you)|whoever|don't\s+mind|dont\s+mind"
    r"|doesn't\s+matter|does\s+not\s+matter|no\s+preference|not\s+fussed|either|whichever|first\s+available)\b"
)

# words around a number that still only picks it: "11 works", "the 11 one suits"
_PICK_WORDS = wordlist("works work suits suit one the do i'll take have go with for me number option num let's lets")
_REPLY_WORDS = frozenset(YES | NO | THANKS | GREETINGS | FILLER)
_GOOD_DAY_RE = re.compile(r"\bgood (?:morning|afternoon|evening|day)\b")


def words(text: str) -> list[str]:
    return _WORDS_RE.findall(text)


LAST_CHOICE = -1  # "the last one": the last of the options shown
# "dang ok the first one works", "ill take the 2nd one", "the last one please": an option by its place
_ORDINAL_PICK_RE = re.compile(
    r"\b(?:the\s+)?(?P<o>" + "|".join(_ORDINALS) + r"|last|\d(?:st|nd|rd|th))\s+(?:one|option|slot|time)\b")
# "whatevers first", "whichever is earliest", "the earliest one": the first option shown
# "latest yous have", "the latest one": the last option shown
_LAST_PICK_RE = re.compile(r"^(?:(?:ok|okay|aye|yeah|yes|just|then)\s+)*(?:the\s+)?latest(?:\s+(?:one|slot|time|you\s+have|you\s+got|you've\s+got))?(?:\s+(?:please|pls|then|thanks))*$")
_FIRST_PICK_RE = re.compile(
    r"^(?:(?:ok|okay|aye|yeah|yes|just|och|um|hmm)\s+)*(?:(?:whatever|whichever|what\s+ever)(?:'?s|\s+is|\s+one\s+is)?\s+"
    r"(?:first|earliest|soonest)|(?:the\s+)?(?:earliest|soonest)\s+one)"
    r"(?:\s+(?:then|please|pls|thanks|is\s+(?:fine|grand|good)|works|available))*$")
_NOT_A_PICK_RE = re.compile(r"\b(?:my|cancel\w*|mov\w+|chang\w+|book\w*|reschedul\w*|not|don't|isn't|doesn't|can't)\b")


def _ordinal_pick(bare: str) -> int | None:
    """The option a short message picks by its place ("the first one works": 1; "the last one":
    LAST_CHOICE); None when it also asks for something else ("cancel my first one")."""
    if re.search(r"\bfor\s+the\s+(?:first|second|third|other|last)\s+one\b", bare) and re.search(r"\d", bare):
        return None  # "9 for the first one and half 9 for the other": people, each with a time
    if re.search(r"\b(?:same\s+as|like|as)\s+(?:the\s+)?last\s+time\b", bare):
        return None  # "same as last time": their last visit, not the last option
    if _FIRST_PICK_RE.match(bare):
        return 1
    if _LAST_PICK_RE.match(bare):
        return LAST_CHOICE
    if len(bare.split()) > 12 or not any(w in bare for w in ("one", "option", "slot", "time")):
        return None
    m = _ORDINAL_PICK_RE.search(bare)
    if m is None or _NOT_A_PICK_RE.search(bare):
        return None
    o = m["o"]
    return LAST_CHOICE if o == "last" else _ORDINALS.get(o) or int(o[0])


def whole_message(text: str) -> tuple[Intent, int | None] | None:
    """Intents that are the whole message ("yes", "2", "STOP", "hi there"), else None."""
    bare = " ".join(words(text.replace("?", " ? ")))
    if not bare:
        return None
    if bare in STOP_WHOLE or bare.removesuffix(" please") in STOP_WHOLE:
        return Intent.STOP, None
    if bare in START_WHOLE:
        return Intent.START, None
    if bare in HELP_WHOLE or bare.replace(" ?", "") in HELP_WHOLE or set(bare.split()) == {"?"}:
        return Intent.HELP, None
    m = CHOICE_RE.match(bare) or CHOICE_RE.match(text.strip())
    if m and int(m["n"]) > 0:
        return Intent.CHOICE, int(m["n"])
    m = ORDINAL_CHOICE_RE.match(bare)
    if m:
        o = m["o"]
        n = _ORDINALS.get(o) or int(re.sub(r"\D", "", o))
        if n > 0 and (m["tail"] or o in _ORDINALS or n <= 9):
            return Intent.CHOICE, n
    pick = _ordinal_pick(bare)
    if pick is not None:
        return Intent.CHOICE, pick
    m = (re.fullmatch(r"the\s+([1-9]\d{2,3})(?:\s+(?:one|slot|please|pls|is\s+good|is\s+fine|works|then))?", bare)
         or re.fullmatch(r"([1-9]\d{2,3})\s+(?:one|slot|please|pls|is\s+good|is\s+fine|works|then)", bare))
    if m is not None:
        return Intent.CHOICE, int(m.group(1))  # "the 615 one": the time, read against the times shown
    rest = bare
    for phrase in YES_PHRASES:
        rest = rest.replace(phrase, " yes ")
    for phrase in NO_PHRASES:
        rest = rest.replace(phrase, " no ")
    rest = _SEE_YOU_WHEN_RE.sub(" thanks ", rest)
    rest = re.sub(r"\bhow\s+far\b", " hi ", rest)  # Nigeria's "how far": hello
    for phrase in FAREWELL_PHRASES:
        rest = rest.replace(phrase, " thanks ")
    toks = [t for t in rest.replace("?", " ").split() if t not in FILLER or t in ("fine", "great", "ok", "okay")]
    if not toks:
        return (Intent.THANKS, None) if any(w in THANKS for w in rest.split()) else None
    said = [t for t in toks if t not in YES and t not in FILLER and t not in _PICK_WORDS]
    if len(said) == 1 and said[0].isdigit() and 0 < int(said[0]) < 100:  # "11 is fine", "ok 2 then"
        return Intent.CHOICE, int(said[0])
    if not _REPLY_WORDS.issuperset(toks):  # a word no reply below is made of: none of them
        return None
    if all(t in YES or t in FILLER for t in toks):
        return Intent.YES, None
    if any(t in YES and t not in FILLER for t in toks) and all(t in YES or t in FILLER or t in THANKS for t in toks):
        return Intent.YES, None  # "lush ta", "perfect cheers": a yes with thanks

    if all(t in NO or t in FILLER for t in toks):
        return Intent.NO, None
    if all(t in THANKS or t in FILLER for t in toks):
        return Intent.THANKS, None
    hello = any(t in _HELLO for t in toks) or _GOOD_DAY_RE.search(bare)
    if hello and all(t in GREETINGS or t in FILLER or t in THANKS for t in toks):
        return Intent.GREETING, None
    return None


# Words one of which every match of a pattern holds; a pattern runs only on a text with one
# (tests/nlu/test_nlu_prechecks.py).
CANCEL_WORDS = ("cancel", "call", "scrap", "need", "scratch", "ditch", "knock")
SOFT_CANCEL_WORDS = ("make", "coming", "there")
RESCHEDULE_WORDS = ("mov", "schedul", "rebook", "chang", "postpone", "swap", "push", "put", "bring", "shift",
                    "earlier", "later", "another", "different")
LIST_WORDS = ("book", "appointment", "reservation", "when", "upcoming", "what", "which", "remind", "who", "still", "have", "got",
              "with")
HOURS_WORDS = ("hours", "times", "open", "clos", "shut", "late", "timing")
PRICES_WORDS = ("much", "pric", "charge", "cost", "expensive", "long", "rate", "cheap", "come", "deal", "offer", "£", "$", "€", "quid", "bucks", "dollars",
                "pounds", "euros", "rand")
CORRECTION_WORDS = ("actually", "instead", "make", "change", "rather", "mean", "scratch", "second", "wait")
ANY_BARBER_WORDS = ("any", "whoever", "mind", "matter", "preference", "fussed", "either", "whichever",
                    "first")
_KEYWORDS = ((LIST_RE, Intent.LIST, LIST_WORDS), (HOURS_RE, Intent.HOURS, HOURS_WORDS),
             (PRICES_RE, Intent.PRICES, PRICES_WORDS), (AVAILABILITY_RE, Intent.AVAILABILITY, None),
             (BOOK_RE, Intent.BOOK, None), (HELP_RE, Intent.HELP, None))
_SOFT_MOVE_RE = re.compile(r"\b(?:instead|can\s+we\s+do|how\s+about)\b")


# a person, when wanted: asked for, or the customer is angry with the bot
PERSON_RE = re.compile(
    r"\b(?:real|actual|live|proper)\s+(?:person|human|people|barber)\b|\bhuman\b"
    r"|\b(?:speak|talk|chat)\s+(?:to|with)\s+(?:some\s*(?:one|body)|any\s*(?:one|body)|a\s+(?:person|human|barber|manager)"
    r"|the\s+(?:owner|manager|boss|barber|shop|oga)|staff)\b|\bcall\s+me\b|\bnot\s+(?:a\s+)?(?:robot|bot|machine)\b"
    r"|\b(?:speak|talk|chat)\s+(?:to|with)\s+[a-z]+\s+(?:directly|personally|in\s+person|real\s+quick|quickly)\b"
    r"|\b(?:can|could|may)\s+i\s+(?:speak|talk|chat)\s+(?:to|with)\s+(?!you\b)[a-z]+"
    r"|\b(?:useless|stupid|ridiculous|hopeless|rubbish|garbage|wtf|fuck\w*|shit\w*|crap|annoying|dumb|idiot\w*)\b"
    r"|\bnot\s+(?:helping|helpful)\b|\bwaste\s+of\s+time\b"
    r"|\b(?:(?:a|absolute|total|complete|such\s+a)\s+joke|joke\s+of\s+a|unacceptable|terrible|worst|pathetic"
    r"|disgusting|complain\w*|furious|are\s+you\s+(?:serious|kidding))\b")
# the cross words of PERSON_RE: anger at the bot, unless a new day and time come with them
_CROSS_WORD_RE = re.compile(r"useless|stupid|ridiculous|hopeless|rubbish|garbage|wtf|fuck\w*|shit\w*|crap|annoying|dumb|idiot\w*"
                            r"|terrible|worst|pathetic")
PERSON_WORDS = ("real", "actual", "live", "proper", "human", "speak", "talk", "chat", "call", "useless",
                "stupid", "ridiculous", "hopeless", "rubbish", "garbage", "wtf", "fuck", "shit", "crap",
                "annoying", "dumb", "idiot", "not", "waste", "joke", "unacceptable", "terrible", "worst", "pathetic",
                "disgusting", "complain", "furious", "serious", "kidding")
# running late: told to the customer's barber
LATE_RE = re.compile(
    r"\b(?:running|be(?:ing)?|am|i'm|im|bit|little|few\s+\w+|\d+\s*(?:min\w*|m)|\d{1,2}|i\s+go|i\s+will)\s+(?:a\s+(?:bit|little|few\s+\w+)\s+)?late\b"
    r"(?!\s+(?:to|for|into)\s+(?:work|school|class|uni|college|the\s+office|my\s+(?:shift|job|work|class|meeting)))"
    r"|\blate\s+(?:sorry|soz|apologies)\b|\btraffic\b|\bon\s+my\s+way\b|\bomw\b"
    r"|\bbe\s+there\s+in\s+(?:\d{1,2}|a\s+few|five|ten|fifteen)\b"
    r"|\bhold\s+(?:my|the)\s+(?:spot|place|slot|booking|appointment|chair|seat)\b")
LATE_WORDS = ("late", "traffic", "way", "hold", "omw", "there")
# who works when: a barber (or a pronoun for one) and a working word, or "who's on"
WHO_RE = re.compile(
    r"\b(?:there|in|working|around|on)\s+(?:until|till|til)\s+what\s+time\b|\b(?:until|till|til)\s+what\s+time\s+(?:is|does)\b|"
    r"\bwho(?:'s|\s+is|\s+are|s)?(?:\s+all(?:\s+is|\s+are|'s)?)?\s+(?:working|works|work|on|in|there|cutting|around|rostered)\b"
    r"|\bwhat\s+time\s+(?:does|do|will)\s+(?P<who2>she|he|they)\s+(?:finish|start|knock\s+off|get\s+in|leave)\b"
    r"|\b(?:is|does|will|when(?:'s|\s+is|\s+does|\s+will)?)\s+(?P<who>[a-z]+)\s+(?:next\s+)?"
    r"(?:working|work|in|on|around|rostered|back|there|coming\s+in)\b")
WHO_WORDS = ("who", "is", "does", "will", "when", "what")
# a barber's name first (after a greeting, "is" or "when's"), then a working word: "dee workin
# thursday?", "marco in tmrw?"; "in"/"on"/"there" alone only in a question ("dee on saturday" books)
_WHO_HEAD_RE = re.compile(r"(?:(?:hi|hey|hiya|yo|hello|morning|quick\s+q\w*|and|so|ok|okay|also)\b[\s,!.]*)*"
                          r"(?:(?:is|will|does|whens|when(?:'s|\s+is|\s+will|\s+does)?)\s+)?")
_WHO_TAIL_RE = re.compile(r"\s*(?:(?P<sure>working|work|rostered|coming\s+in|next\s+in|in\s+next|back|around|about)"
                          r"|in|on|there)\b")


def asks_when_in(before: str, after: str) -> bool:
    """Whether a message whose first barber's name comes between `before` and `after` asks when
    that barber works (and names no service or time: the caller checks)."""
    m = _WHO_TAIL_RE.match(after)
    return m is not None and _WHO_HEAD_RE.fullmatch(before) is not None and (m["sure"] is not None or "?" in after)


_NOT_PEOPLE = frozenset({"it", "there", "that", "this", "anything", "anyone", "anybody", "something",
                         "the", "shop", "my", "your", "a", "he's", "she's"})
# "hes hopeless at organising it himself": a word of anger about someone else, not the bot
_ABOUT_SOMEONE_RE = re.compile(r"\b(?:he|she|they|he's|she's|hes|shes|they're|his|her|husband|wife|son|daughter|boyfriend"
                               r"|girlfriend|partner|kids?|boss|traffic|work|bus|train)\b[^.?!]{0,20}$")
PRONOUNS = frozenset({"she", "he", "they", "her", "him", "them"})
_PRONOUN_RE = re.compile(r"\b(?:she|he|her|him)\b")
# "do i need to book", "is a booking required": asked of walking in, even beside a day
_NEED_TO_BOOK = (r"\b(?:do|should|must)\s+(?:i|we|you)\s+(?:(?:need|have)\s+to\s+)?(?:book|make\s+(?:a|an)\s+(?:booking|appointment))\b"
                 r"|\b(?:need|have)\s+to\s+book\s+(?:ahead|first|in\s+advance)\b|\bis\s+(?:a\s+)?booking\s+(?:needed|required|necessary)\b"
                 r"|\bor\s+(?:do\s+(?:i|we)\s+)?(?:need|have|got)\s+to\s+book\b|\bor\s+(?:must|should)\s+(?:i|we)\s+book\b")
NEED_TO_BOOK_RE = re.compile(_NEED_TO_BOOK)
# facts the shop file answers: "address" (with map_url) and [shop.info]'s common keys, by their words
TOPIC_RES = {
    "address": re.compile(r"\bwhere\s*abouts\b|\bwhere\s+(?:you|u)\s+(?:guys\s+|all\s+|lot\s+)?(?:at|based|located|deh|dey)\b"
                          r"|\bwhere\s+(?:exactly\s+)?(?:are\s+you|r\s+u|you\s+are|is\s+(?:the\s+|your\s+)?(?:shop|place|barber\w*))"
                          r"|\bwhere(?:'s|\s+is)\s+(?:the\s+|your\s+)?(?:shop|place)\b|\blocat(?:ed|ion)\b|\baddress\b"
                          r"|\bdirections\b|\bhow\s+do\s+i\s+(?:find|get\s+to)\s+you\b|\bmap\b"
                          r"|\bhow\s+(?:do|would|can)\s+(?:i|we|you)\s+get\s+(?:there|to\s+(?:you|the\s+shop))\b"),
    "parking": re.compile(r"\bpark(?:ing)?\b|\bcar\s*park\b"),
    "payment": re.compile(r"\b(?:pay(?:ment)?|card|cards|cash|eftpos|amex|visa|mastercard|afterpay|apple\s+pay|google\s+pay"
                          r"|gpay|contactless|venmo|zelle|paypal|revolut|interac|e-?transfer|debit|credit|cash\s*app)\b"
                          r"|\b(?:you|u|ya|y'?all)\s+(?:take|accept)\s+(?!walk|booking|appointment|kid|child|new|reservation|last)[a-z]"),
    "walk_ins": re.compile(r"\bwalk[\s-]*ins?\b|\bwalkins?\b|\bwithout\s+(?:a|an)\s+(?:booking|appointment)\b"
                           r"|\bjust\s+(?:turn|show|rock|pop)\s+up\b|" + _NEED_TO_BOOK),
}


# reminders wanted again, in words: "start again i want reminders", "reminders back on please"
REMINDERS_ON_RE = re.compile(
    r"\b(?:start|resume|restart|turn(?:\s+back)?\s+on|switch(?:\s+back)?\s+on|unpause|un-pause|want|like|need|get|send|put|have)"
    r"\b[^.?!]{0,25}?\breminders?\b|\breminders?\s+(?:back(?:\s+on)?|on|again)\b")
_REMINDERS_OFF_RE = re.compile(r"\b(?:stop|no\s+more|don't|dont|do\s+not|off|pause|without|never|less|fewer|too\s+many)\b")
# starting the conversation over: "start again", "can we start over", "restart"
RESTART_RE = re.compile(
    r"^(?:(?:ok|okay|sorry|um|hmm|actually)[\s,.!]*)?(?:(?:can|could|shall)\s+(?:we|i)\s+|let'?s\s+|i\s+(?:want|wanna|need)\s+to\s+)?"
    r"(?:start\s+(?:again|over|afresh|from\s+scratch|from\s+the\s+(?:top|beginning|start))|restart|re-start|begin\s+again"
    r"|reset|from\s+the\s+top)\b")


# "do you do eyebrows?", "can you guys do perms", "do you offer colouring": a service asked for
_ASK_OFFER_RE = re.compile(
    r"\b(?:(?:do|can|could|would|will)\s+(?:you|ya|you\s+guys|yous|y'?all)(?:\s+(?:also|still|ever))?\s+"
    r"(?:do|offer|provide))"
    r"\s+(?:any\s+|a\s+|an\s+|the\s+|some\s+)?(?P<what>[a-z][a-z'-]*(?:\s+(?!at\b|there\b|here\b|too\b|as\b|please\b|pls\b|mate\b|by\b|for\b|on\b|in\b|or\b)[a-z][a-z'-]*){0,2})"
    r"(?:\s+or\s+(?:only\s+|just\s+)?[a-z]+(?:\s+[a-z]+)?)?"  # "braids or only cuts"
    r"(?:\s+(?:like|e\.?g\.?|such\s+as)\s+[a-z\s]+)?"  # "designs like lines in the fade"
    r"\s*(?:[?!.]+\s*)?(?:(?:at\s+all|there|here|too|as\s+well|please|pls|mate|by\s+any\s+chance)\b[\s?!.]*)*$")
# a question put to the shop: "can i bring my dog", "are you wheelchair accessible?", "is it ok to ..."
_SHOP_QUESTION_RE = re.compile(
    r"^(?:(?:hi|hey|hello|hiya|yo|oi|quick\s+question|question|just\s+wondering)[\s,!.]*)?"
    r"(?:do|does|can|could|will|would|are|is|have|may|am|should)\s+(?:you|ya|you\s+guys|yous|y'?all|i|we|there|it|dogs?"
    r"|kids?|children|pets?|my|the|your)\b|\w\s*\?\s*$")
_NOT_A_THING = frozenset(("it", "that", "this", "them", "one", "something", "anything", "me", "us", "my", "your", "appointments",
                          "bookings", "booking", "appointment", "time", "times", "slots", "slot"))


def asked_offer(text: str) -> str | None:
    """What a "do you do X?" asks about ("eyebrows"), for the dialogue to say whether the shop does it."""
    if not has_any(text, ("do", "offer", "provide")):
        return None
    m = _ASK_OFFER_RE.search(text)
    if m is None or m["what"].split()[0] in _NOT_A_THING:
        return None
    return m["what"]


# "is there anything else i need to know?", "anything i should bring?": what to know before coming
_TO_KNOW_RE = re.compile(r"\b(?:anything|what)\s+(?:else\s+)?(?:do\s+)?(?:i|we)\s+(?:need|should|have|must|ought)"
                         r"\s+(?:to\s+)?(?:know|bring|do)\b")


def asks_what_to_know(text: str) -> bool:
    """Whether the message asks what to know or bring before the visit (answered with where the shop is)."""
    return ("know" in text or "bring" in text) and _TO_KNOW_RE.search(text) is not None


# "how long is the wait usually on a friday", "how busy are you saturdays": asked of the shop, whatever day it names
_HOW_IS_IT_RE = re.compile(r"^(?:(?:hi|hey|hello|hiya|quick\s+question|just\s+wondering)\b[\s,!.]*)*"
                           r"(?:how\s+(?:long\s+(?:(?:is|are|'s)\s+)?(?:the\s+)?(?:wait|queue|waiting)|busy|packed|full)"
                           r"|is\s+it\s+(?:usually\s+|normally\s+|always\s+)?(?:busy|quiet|packed|rammed))\b")


def asks_how_it_is(text: str) -> bool:
    """Whether the message asks how busy the shop is, or the wait: a question, not a booking."""
    return _HOW_IS_IT_RE.search(text) is not None


def shop_question(text: str) -> bool:
    """Whether an otherwise unread message is a question put to the shop (three words or more):
    answered as one the bot cannot answer, not counted as a message not understood."""
    return len(text.split()) >= 3 and _SHOP_QUESTION_RE.search(text) is not None


# reminders unwanted, in words: "can yall stop texting me reminders", "no more reminders pls",
# "turn the reminders off", "stop sending me texts"
_REMINDERS_STOP_RE = re.compile(
    r"\b(?:stop|quit|no\s+more|don'?t\s+(?:need|want)(?:\s+any)?|turn\s+off|switch\s+off|enough(?:\s+of)?(?:\s+the)?)\s+"
    r"(?:(?:texting|messaging|sending|spamming|pinging)\s+(?:me\s+)?)?(?:(?:all\s+)?(?:the|these|those|your|ur|any|more)\s+)?"
    r"(?:reminders?|texts?|messages?|msgs?)\b"
    r"|\bstop\s+(?:texting|messaging|spamming)\s+me\b|\breminders?\s+off\b|\bturn\s+(?:the\s+|my\s+)?reminders?\s+off\b")


def stop_intent(text: str, has_slots: bool) -> Intent | None:
    """STOP for reminders unwanted in words (not when the message also asks for a booking)."""
    if (not has_slots and has_any(text, ("stop", "more", "need", "want", "off", "enough", "quit"))
            and _REMINDERS_STOP_RE.search(text) and not re.search(r"\b(?:don'?t|do\s+not|never|not)\s+stop\b", text)):
        return Intent.STOP
    return None


def start_intent(text: str, has_slots: bool) -> Intent | None:
    """START for reminders wanted again in words, and for starting over ("start again"; not when
    the message also names what to book): the dialogue resumes paused reminders or starts afresh."""
    if "remind" in text and REMINDERS_ON_RE.search(text) and not _REMINDERS_OFF_RE.search(text):
        return Intent.START
    if not has_slots and has_any(text, ("start", "begin", "reset", "top")) and RESTART_RE.match(text):
        return Intent.START
    return None


def special_intent(text: str, has_barber: bool, asks_booking: bool = False, names_time: bool = False) -> Intent | None:
    """LATE, PERSON or WHO when the message is one of those (before the keyword intents).
    `asks_booking`: it names a service and a day or time, so traffic is a reason, not lateness
    ("a haircut thursday at 6 because of traffic"). `names_time`: it names a day and a time, so a
    cross word is disappointment with what was offered, not a wish for a person ("ah rubbish.
    thurs at 11 then")."""
    m = LATE_RE.search(text) if has_any(text, LATE_WORDS) else None  # "running late, traffic is shit": their barber
    if m is not None and not (asks_booking and "late" not in text and m.group(0) in ("traffic", "on my way", "omw")):
        return Intent.LATE
    p = PERSON_RE.search(text) if has_any(text, PERSON_WORDS) else None
    if (p is not None and not _ABOUT_SOMEONE_RE.search(text, 0, p.start())
            and not (names_time and _CROSS_WORD_RE.fullmatch(p.group(0)))):
        return Intent.PERSON
    if has_any(text, WHO_WORDS):
        for m in WHO_RE.finditer(text):
            who = m.group("who")
            if who is None or who in PRONOUNS or (has_barber and who not in _NOT_PEOPLE):
                return Intent.WHO
    return None


def names_pronoun(text: str) -> bool:
    """"with her", "is she in": a barber the conversation already named."""
    return _PRONOUN_RE.search(text) is not None


_KEY_SUFFIX_RE = re.compile(r"(?:ibility|ability|ility|ible|able|ation|ities|ity|ment|ing)$")


def _key_pattern(key: str) -> str:
    """How a [shop.info] key is asked about: its words ("dogs" also as "dog"; "load shedding" also
    as "loadshedding"), and a long word by its stem too ("accessibility" as "accessible", "access")."""
    words = key.replace("_", " ").replace("-", " ").strip().lower()
    stem = words[:-1] if words.endswith("s") and len(words) > 3 else words  # "dogs" is asked as "dog"
    root = _KEY_SUFFIX_RE.sub("", stem) if " " not in stem else stem
    if len(root) >= 5 and root != stem:
        return r"\b(?:" + re.escape(stem) + r"s?|" + re.escape(root) + r"\w*)\b"
    # words of a key may be written apart, together or hyphenated: "load shedding", "loadshedding"
    return r"\b" + re.escape(stem).replace(r"\ ", r"[\s-]?") + r"s?\b"


def info_topic(text: str, keys: tuple[str, ...]) -> str | None:
    """The shop fact asked about: "address", a common [shop.info] key, or any key named by its words."""
    for key in keys:
        if key not in TOPIC_RES and re.search(_key_pattern(key), text):
            return key
    for key, pattern in TOPIC_RES.items():
        if pattern.search(text):
            return key
    return None


def info_topics(text: str, info: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    """Every shop fact a message asks about, by its words or its answer's ("is there parking and
    can i pay with snapscan": parking, payment), "address" among them; in the shop file's order."""
    keys = tuple(k for k, _ in info)
    found = [k for k in keys if re.search(_key_pattern(k), text) if k not in TOPIC_RES]
    found += [k for k, pattern in TOPIC_RES.items() if pattern.search(text)]
    for clause in re.split(r"\band\b|[?.!,]", text):
        k = info_by_answer(clause, info)
        if k is not None:
            found.append(k)
    return tuple(dict.fromkeys(found))


_INFO_WORD_RE = re.compile(r"[a-z]{3,}")


def info_by_answer(text: str, info: tuple[tuple[str, str], ...]) -> str | None:
    """The [shop.info] key whose answer names an uncommon word of the message, written apart or
    together ("do u take cashapp": the payment answer says "Cash App"); None when none does."""
    asked = {w for w in _INFO_WORD_RE.findall(text) if w not in COMMON_WORDS and w not in RULE_WORDS}
    if not asked:
        return None
    for key, answer in info:
        said = _INFO_WORD_RE.findall(answer.lower())
        named = {w for w in said if w not in COMMON_WORDS and w not in RULE_WORDS}
        named.update(a + b for a, b in zip(said, said[1:], strict=False))
        if asked & named:
            return key
    return None


def keyword_intent(text: str) -> Intent | None:
    """The intent a keyword names, by the order in the module docstring."""
    if has_any(text, CANCEL_WORDS) and CANCEL_RE.search(text):
        return Intent.CANCEL
    reschedule = has_any(text, RESCHEDULE_WORDS) and RESCHEDULE_RE.search(text) is not None
    if has_any(text, SOFT_CANCEL_WORDS) and SOFT_CANCEL_RE.search(text):
        return Intent.RESCHEDULE if reschedule or _SOFT_MOVE_RE.search(text) else Intent.CANCEL
    if reschedule:
        return Intent.RESCHEDULE
    for pattern, intent, needs in _KEYWORDS:
        if (needs is None or has_any(text, needs)) and pattern.search(text):
            return intent
    return None


def is_correction(text: str) -> bool:
    """CORRECTION_RE.search(text), skipped when no word of it is in the text."""
    return (has_any(text, CORRECTION_WORDS) or text.startswith(("no", "na"))) and CORRECTION_RE.search(text) is not None


def names_any_barber(text: str) -> bool:
    """ANY_BARBER_RE.search(text), skipped when no word of it is in the text."""
    return has_any(text, ANY_BARBER_WORDS) and ANY_BARBER_RE.search(text) is not None
