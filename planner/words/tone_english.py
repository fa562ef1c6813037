"""What reads like a ticket system, a policy page or an advert in an English sentence.

No maintained English library that installs from PyPI alone sees these shapes: spaCy, NLTK,
TextBlob, stanza and flair tag parts of speech only with models downloaded from their own hosts
at run time, and proselint checks literary prose against phrase lists, as the lexicon already
does. So the features here are explicit patterns over words, each a shape rather than a phrase:
a passive ("has been escalated"), a ticket system's nouns, the boilerplate of service emails,
a selling imperative at the start of a sentence; and, the other way, a person ("I", contractions,
a name). ``FEATURES`` holds their weights; ``signals`` says which ones a sentence shows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from planner.words.tone_features import Feature, Signal

FEATURES: dict[str, Feature] = {
    # Stiff: a system, a policy, a form letter.
    "en-passive": Feature(
        "stiff", 1.5, "passive voice, nobody doing it", "Say who does what: I've sent it / I'll sort it today."
    ),
    "en-system-subject": Feature(
        "stiff",
        1.0,
        "the customer's words as a case in a system",
        "Talk about them, not their case: Thanks for telling me.",
    ),
    "en-ticket-words": Feature(
        "stiff",
        0.75,
        "ticket and policy vocabulary",
        "Use the words you'd use across the counter: not 'escalated to the relevant team' but "
        "'I've asked Anna, who packs the orders'.",
        most=3,
    ),
    "en-boilerplate": Feature(
        "stiff",
        1.5,
        "service-email boilerplate",
        "Say the one thing that's true for them: I'm sorry the mug arrived chipped.",
        most=2,
    ),
    "en-redirect": Feature(
        "stiff", 1.5, "sending them somewhere else", "Help them here: I'll ask the courier myself and write back today."
    ),
    "en-corporate-we": Feature(
        "stiff", 1.5, "the company's 'we' in office verbs", "Let one person speak: I'll check it today and write back."
    ),
    "en-please-order": Feature(
        "stiff", 1.0, "an instruction dressed as 'please'", "Ask the way a person would: Could you send me a photo?"
    ),
    "en-refusal": Feature(
        "stiff",
        1.0,
        "a refusal in the company's voice",
        "Say what you can do: I can't refund it, but I can send a new one today.",
        most=2,
    ),
    # Warm: a person speaking.
    "en-first-person": Feature("stiff", -1.5, "a person speaking ('I')", ""),
    "en-contraction": Feature("stiff", -0.5, "spoken contractions", ""),
    "en-named": Feature("stiff", -1.0, "their name", ""),
    "en-feeling": Feature("stiff", -0.5, "a feeling", ""),
    # Advert: selling.
    "en-ad-tag": Feature(
        "advert", 3.0, "an advert's tag", "Send adverts apart from thank-yous; keep this one a thank-you."
    ),
    "en-percent": Feature("advert", 1.5, "a percentage", "Keep it a thank-you: Thank you for being with us, truly."),
    "en-price": Feature("advert", 1.0, "a price", "Talk about them, not prices: I hope the mug has been good company."),
    "en-deal": Feature(
        "advert", 1.5, "deal vocabulary", "A gesture with a deal in it is a sales pitch; leave the deal out.", most=2
    ),
    "en-urgency": Feature("advert", 1.5, "urgency and scarcity", "Nothing to rush: Have a lovely week.", most=2),
    "en-selling-order": Feature("advert", 1.5, "an imperative to buy", "End with nothing to do: Have a lovely week."),
}

_PARTICIPLES = (
    "sent|made|paid|held|kept|left|given|taken|done|shown|sold|told|found|brought|bought|caught|dealt|known|seen"
    "|set|put|lost|won|written|sought|spent|built|shut|cut|chosen|broken|frozen|forgotten|hidden|withdrawn|undertaken"
)
# Adjectives that look like participles: "I'm so pleased", "we were closed".
_NOT_PASSIVE = {
    "pleased", "delighted", "excited", "thrilled", "interested", "tired", "worried", "surprised", "married", "based",
    "located", "concerned", "disappointed", "satisfied", "used", "supposed", "amazed", "relieved", "scared", "bored",
    "confused", "annoyed", "closed", "finished", "tickled", "touched", "honoured", "honored", "blessed", "gutted",
    "stuck", "done", "overjoyed", "chuffed", "moved", "inspired", "impressed", "gone",
}  # fmt: skip
_PASSIVE = re.compile(
    r"\b(?:am|is|are|was|were|be|been|being|'s|'re)\s+"
    r"(?:(?:not|now|currently|successfully|already|temporarily|automatically|also|then|still|just|fully|being|only"
    r"|usually|normally|always|never|generally)\s+)*"
    rf"(?P<verb>[a-z]+ed|{_PARTICIPLES})\b",
    re.IGNORECASE,
)
_SYSTEM_SUBJECT = re.compile(
    r"\byour\s+(?:request|inquiry|enquiry|ticket|case|complaint|feedback|account|issue|subscription|concerns?"
    r"|application|claim|query|comments|return|refund|order|shipment)\b(?=.*\b(?:has|have|is|are|was|were|will)\s+(?:been\s+)?\w+ed\b)",
    re.IGNORECASE,
)
_TICKET_WORDS = re.compile(
    r"\b(?:tickets?|case\s+number|reference(?:\s+number)?|escalat\w*|departments?|(?:relevant|appropriate|support)\s+team"
    r"|agents?|representatives?|supervisors?|inquir(?:y|ies)|enquir(?:y|ies)|correspondence|polic(?:y|ies)"
    r"|terms\s+and\s+conditions|(?:business|working)\s+days|process(?:ed|ing)?|verification|pending|assistance"
    r"|notifications?|notified|matter|instance|records?|system|customer\s+(?:support|service)|help\s+cent(?:er|re)"
    r"|faq|non-refundable|eligible|original\s+method\s+of\s+payment|per|accordance|regarding|compensation|claims?"
    r"|decision|account\s+activity|courtesy|due\s+course|estimates?|guaranteed?|window|statement|credit\s+note"
    r"|receipt|online\s+form|volume|response\s+times?|revert|priority|satisfaction|customer|issued|dispatched"
    r"|in\s+transit|security\s+reasons|final|order\s+number|quote|on\s+hold|your\s+case|qualify|exempt"
    r"|authori[sz]ation|initiated?|via|prior|attached|portal|investigat\w*|warranty|misuse|management|retailer"
    r"|logistics|fulfil+ment|employees|standards|adjustment|declined|approved|responsible|updates?|proceed|locate"
    r"|your\s+experience|your\s+query)\b",
    re.IGNORECASE,
)
_BOILERPLATE = re.compile(
    r"\b(?:for\s+any\s+inconvenience|we\s+apologi[sz]e|we\s+value\s+your|valuable\s+to\s+us|important\s+to\s+us"
    r"|top\s+priority|thank\s+you\s+for\s+(?:contacting|your\s+inquiry|your\s+enquiry|your\s+understanding"
    r"|bringing\s+this)|we\s+appreciate\s+your\s+patience|do\s+not\s+hesitate|should\s+you\s+(?:require|have|need)"
    r"|please\s+note|please\s+be\s+advised|kindly|we\s+regret|at\s+this\s+time|in\s+due\s+course|in\s+this\s+instance"
    r"|continued\s+support|to\s+our\s+attention|into\s+consideration|will\s+be\s+in\s+touch|in\s+the\s+order\s+in\s+which"
    r"|rest\s+assured|for\s+future\s+reference|for\s+further\s+(?:information|assistance)|committed\s+to"
    r"|use\s+it\s+to\s+improve|improve\s+our\s+services?|highest\s+level|all\s+future|this\s+matter"
    r"|may\s+have\s+caused|high\s+volume|a\s+member\s+of\s+our\s+team|we\s+thank\s+you|currently\s+unavailable"
    r"|our\s+records\s+(?:show|indicate)|inform\s+you|have\s+noted|automated\s+(?:message|email|response)"
    r"|do\s+not\s+reply|all\s+sales\s+are\s+final|thank\s+you\s+for\s+reaching\s+out|please\s+find\s+attached"
    r"|valuable\s+feedback|taking\s+the\s+time|sorry\s+to\s+hear\s+about\s+your\s+experience|for\s+your\s+records"
    r"|next\s+available|it\s+is\s+our\s+policy|following\s+a\s+review|remind\s+you|held\s+responsible"
    r"|earliest\s+convenience|once\s+available"
    r"|(?:within|up\s+to|allow)\s+(?:\w+|\d+[–-]\d+)\s+(?:business|working)\s+days)\b",
    re.IGNORECASE,
)
_REDIRECT = re.compile(
    r"\b(?:(?:please\s+)?(?:contact|call|email|visit|refer\s+to|check)\s+(?:the|your|our)\s+"
    r"(?:courier|bank|carrier|manufacturer|help|faq|website|support|customer|claims|card)"
    r"|should\s+be\s+directed\s+to|fill\s+in\s+the\s+(?:online\s+)?form|(?:visit|see)\s+our\s+(?:faq|help))",
    re.IGNORECASE,
)
_CORPORATE_WE = re.compile(
    r"\bwe\s+(?:would\s+(?:like\s+to|be\s+grateful)|strive|endeavou?r|aim\s+to|appreciate|regret|reserve"
    r"|are\s+(?:sorry\s+to\s+hear|pleased\s+to|unable|not\s+able|committed)|have\s+(?:decided|shared|escalated"
    r"|forwarded|noted|passed|received|reviewed|investigated)|kindly|must|cannot)\b",
    re.IGNORECASE,
)
_PLEASE_ORDER = re.compile(
    r"\bplease\s+(?:allow|note|ensure|retain|quote|refer|be\s+advised|fill|contact|visit|submit|provide|include)\b",
    re.IGNORECASE,
)
_REFUSAL = re.compile(
    r"\b(?:we\s+are\s+unable\s+to|we\s+cannot|we\s+can't|cannot\s+be|unfortunately|are\s+not\s+(?:guaranteed|eligible)"
    r"|must\s+be|(?:does|do|will)\s+not\s+(?:qualify|cover|be\s+accepted|be\s+held)|not\s+able\s+to|are\s+exempt"
    r"|decided\s+not\s+to)\b",
    re.IGNORECASE,
)
_FIRST_PERSON = re.compile(r"\b(?:I|I'm|I've|I'll|I'd|me|my|myself)\b|\bI[’'](?:m|ve|ll|d)\b")
_CONTRACTION = re.compile(r"\b\w+['’](?:re|ve|ll|d|s|m|t)\b", re.IGNORECASE)
_NAMED = re.compile(
    r"\b(?i:hi|hello|hey|dear|good\s+(?:morning|afternoon|evening)|thanks|thank\s+you),?\s+"
    r"(?!(?i:valued|customer|sir|madam|member|client|user|friend|team|all|everyone|for|so|again)\b)[A-Z][a-z]+",
)
_FEELING = re.compile(
    r"\b(?:hope|hoping|glad|love|loved|lovely|sorry|enjoy|happy|miss|smile|congratulations|wonderful|thrilled"
    r"|means\s+a\s+lot|made\s+(?:my|our)\s+(?:day|week)|good\s+luck|kind\s+words)\b",
    re.IGNORECASE,
)
_AD_TAG = re.compile(r"\[(?:ad|advert|advertisement|sponsored)\]|\((?:ad|advert)\)", re.IGNORECASE)
_PERCENT = re.compile(r"\d+\s*%")
_PRICE = re.compile(r"[$£€]\s?\d")
_DEAL = re.compile(
    r"\b(?:sales?|deals?|discounts?|coupons?|vouchers?|codes?|promo\w*|offers?|free\s+(?:shipping|delivery|gift|returns"
    r"|express)|get\s+\d+\s+free|get\s+one\s+free|buy\s+(?:one|\d+)|bogo|\d+\s+for\s+\d+|points|rewards?|store\s+credit"
    r"|clearance|bundle|save|saving|savings|exclusive|bestsell\w*|best-sell\w*|new\s+arrivals|collection|giveaway"
    r"|early\s+access|limited\s+edition|members?-only|flash|premium|checkout|prices?|cart|newsletter|subscribe"
    r"|referral|refer\s+a\s+friend|restocked|back\s+in\s+stock|drops?|range|just\s+for\s+you|spend|on\s+all\s+orders"
    r"|next-day\s+delivery)\b",
    re.IGNORECASE,
)
_URGENCY = re.compile(
    r"\b(?:today\s+only|only\s+today|this\s+weekend\s+only|(?:ends|expires?)\s+(?:at|tonight|today|soon|in|on|sunday"
    r"|monday|friday|midnight)|last\s+chance|hurry|limited\s+(?:time|stock|edition)|while\s+(?:supplies|stocks)\s+last"
    r"|only\s+\d+\s+left|don['’]t\s+miss|don['’]t\s+wait|before\s+(?:they['’]re|it['’]s)\s+gone|act\s+(?:now|fast)"
    r"|next\s+\w+\s+hours|prices?\s+go\s+up|won['’]t\s+last|avoid\s+disappointment|offer\s+ends|ends\s+\w+"
    r"|for\s+a\s+limited\s+time|now\s+available|just\s+dropped|are\s+live|starts\s+at)\b",
    re.IGNORECASE,
)
_SELLING_ORDER = re.compile(
    r"(?:^|[:—–-]\s*|[.!]\s+)(?:shop|buy|order|grab|save|get|claim|unlock|discover|explore|treat\s+yourself|upgrade"
    r"|subscribe|sign\s+up|join|download|refer|complete\s+the\s+look|stock\s+up|pre-order|enter|tell\s+your\s+friends"
    r"|use\s+code|spend|check\s+out|click|act|hurry|browse|snag|book|reserve|add\s+to\s+cart|don['’]t\s+miss)\b",
    re.IGNORECASE,
)


def signals(sentence: str) -> list[Signal]:
    """Every feature the sentence shows, with the words that show it."""
    return list(_signals(sentence))


def _signals(sentence: str) -> Iterator[Signal]:
    for match in _PASSIVE.finditer(sentence):
        if match["verb"].lower() not in _NOT_PASSIVE:
            yield Signal("en-passive", match[0])
    simple = {
        "en-system-subject": _SYSTEM_SUBJECT,
        "en-ticket-words": _TICKET_WORDS,
        "en-boilerplate": _BOILERPLATE,
        "en-redirect": _REDIRECT,
        "en-corporate-we": _CORPORATE_WE,
        "en-please-order": _PLEASE_ORDER,
        "en-refusal": _REFUSAL,
        "en-first-person": _FIRST_PERSON,
        "en-contraction": _CONTRACTION,
        "en-named": _NAMED,
        "en-feeling": _FEELING,
        "en-ad-tag": _AD_TAG,
        "en-percent": _PERCENT,
        "en-price": _PRICE,
        "en-deal": _DEAL,
        "en-urgency": _URGENCY,
        "en-selling-order": _SELLING_ORDER,
    }
    for feature, pattern in simple.items():
        for match in pattern.finditer(sentence):
            yield Signal(feature, match[0].strip(" :—–-.!"))
