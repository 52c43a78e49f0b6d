"""PERSON, ADDRESS, LOCATION and ORGANIZATION: what works without a language model, and what it adds.

Three sources, one kind of candidate (the scanner's tuple, resolved against every other type):

- **Column semantics**: a column named for people (``first_name``, ``patient``), addresses
  (``street``, ``address_line1``), towns (``city``) or organisations (``employer``). Its values are
  checked one by one for the shape (a name has letters, no digits, at most five words; an address has
  a number and a word), and the column as a whole by datamade's parsers on a sample: probablepeople
  tells a person from a company in a ``customer`` column, usaddress tells a street address from a
  place name. Both ship their trained models in the wheel.
- **Context in text**: a title before a name (``Dr. Ann Lee``), "my name is …", "Dear …", and street
  addresses (a number and a street word, either order: ``221B Baker Street``, ``Via Roma 12``):
  Hyperscan patterns in the one pass (detectors.py), validated here.
- **NER** (ner.py, the optional extra): spaCy's entities in text, filtered of what cannot be a name
  (digits, addresses, lower case, single common words).
"""

from __future__ import annotations

import re
from functools import lru_cache

from .context import _SPLIT, POSITIVE, SECRET_COLUMN_WORDS, tokens

CONFIDENCE = {"PERSON": 0.7, "ADDRESS": 0.7, "LOCATION": 0.45, "ORGANIZATION": 0.45}
"""A value in a column named for it. Names and street addresses identify people (deny-level at the
default threshold of 0.5); a town or a company alone does not, so they are reported for review."""

_PERSON_COLUMNS = {"firstname", "lastname", "surname", "givenname", "fullname", "forename", "familyname",
                   "middlename", "maidenname", "nickname", "patient", "customer", "employee", "applicant",
                   "author", "contact", "client", "member", "person", "sender", "recipient", "beneficiary",
                   "guest", "passenger", "student", "cardholder", "holder", "signatory", "guardian", "spouse",
                   "insured", "physician", "doctor", "nurse", "teacher", "driver"}
_NAME_QUALIFIERS = _PERSON_COLUMNS | {"first", "last", "full", "given", "family", "middle", "maiden", "name",
                                      "user", "owner", "legal", "preferred", "display", "real", "birth", "mother",
                                      "father", "next", "kin", "of", "emergency", "manager", "agent", "rep",
                                      "buyer", "seller", "account", "primary", "secondary", "parent", "child"}
_ADDRESS_COLUMNS = {"address", "addr", "street", "streetaddress", "addressline", "addressline1", "addressline2",
                    "address1", "address2", "mailingaddress", "homeaddress", "residence", "billingaddress",
                    "shippingaddress", "postaladdress"}
_NOT_POSTAL = {"email", "mail", "ip", "ipv4", "ipv6", "mac", "web", "url", "wallet", "bitcoin", "btc", "eth",
               "contract", "memory", "host", "server", "remote", "hash", "hardware", "network", "node", "pointer",
               "emailaddress", "ipaddress", "macaddress", "public", "key", "onion"}
_LOCATION_COLUMNS = {"city", "town", "village", "municipality", "locality", "birthplace", "hometown",
                     "placeofbirth", "cityofbirth"}
_ORGANIZATION_COLUMNS = {"company", "employer", "organization", "organisation", "companyname", "employername",
                         "institution", "firm", "business", "agency", "orgname"}
_NOT_NAMES = {"file", "filename", "product", "item", "table", "column", "field", "host", "hostname", "domain",
              "database", "schema", "event", "model", "brand", "category", "class", "label", "tag", "type",
              "key", "feature", "service", "project", "app", "package", "module", "function", "method", "variable",
              "street", "city", "country", "state", "region", "company", "org", "organization", "bank", "dataset",
              "game", "song", "movie", "book", "title", "team", "group", "role", "department", "dept", "plan",
              "id", "count", "length", "code", "hash", "token", "species", "breed", "color", "colour", "drug",
              "device", "browser", "os", "platform", "campaign", "job", "task", "test", "metric", "unit"}

_OTHER_TYPES = frozenset().union(*POSITIVE.values(), SECRET_COLUMN_WORDS, {"number", "no", "num", "date"}) \
    - {"contact", "client", "card", "account"}
"""A column named for another type or a number (``contact_email``, ``customer_no``) is not a name column."""


@lru_cache(maxsize=4096)
def column_kind(column: str | None) -> str | None:
    """The type a column is named for, or None (``first_name`` PERSON, ``product_name`` None)."""
    words = tokens(column)
    if not words:
        return None
    if words & _ADDRESS_COLUMNS and not words & _NOT_POSTAL:
        return "ADDRESS"
    if words & _LOCATION_COLUMNS and not words & {"id", "code", "count"}:
        return "LOCATION"
    if words & _ORGANIZATION_COLUMNS and not words & {"id", "code", "count", "size", "type"}:
        return "ORGANIZATION"
    if words & _NOT_NAMES or words & _OTHER_TYPES:
        return None
    if words & _PERSON_COLUMNS:
        return "PERSON"
    parts = [p.lower() for p in _SPLIT.split(column) if p and not p.isdigit()]
    if "name" in parts and all(p in _NAME_QUALIFIERS for p in parts):
        return "PERSON"  # name, first_name, contact_name; not dog_name
    return None


_LETTERS = r"[^\W\d_]"
_NAME_SHAPE = re.compile(rf"^{_LETTERS}[\w'’.-]*(?:,? +{_LETTERS}[\w'’.-]*){{0,4}}$")
_HAS_UPPER = re.compile(r"(?:^|[\s,])[^\W\d_a-z]")
_ADDRESS_SHAPE = re.compile(rf"(?=.*\d)(?=.*{_LETTERS}{{2}}).*\s")
_PLACE_SHAPE = re.compile(rf"^{_LETTERS}[\w'’.-]*(?:[ -]+{_LETTERS}[\w'’.-]*){{0,4}}$")


def value_fits(kind: str, text: str) -> bool:
    """Whether one value of a column named for ``kind`` has the shape of one."""
    text = text.strip()
    if not 2 <= len(text) <= 120:
        return False
    if kind == "PERSON":
        return bool(_NAME_SHAPE.match(text)) and not any(c.isdigit() for c in text) and bool(_HAS_UPPER.search(text))
    if kind == "ADDRESS":
        return bool(_ADDRESS_SHAPE.match(text)) and "@" not in text and "://" not in text
    if kind == "LOCATION":
        return bool(_PLACE_SHAPE.match(text))
    return any(c.isalpha() for c in text) and "@" not in text and "://" not in text


def column_verdict(kind: str, sample: list[str]) -> tuple[str, float] | None:
    """(type, confidence) for a column named for ``kind``, judged on a sample of its values that fit:
    the parsers must agree with the name on most of them; None when the column holds something else."""
    if not sample:
        return None
    if kind == "PERSON":
        people = _probable_kinds(tuple(sample))
        if people is None:
            return kind, CONFIDENCE[kind]
        persons = sum(1 for k in people if k in ("Person", "Household"))
        if persons * 2 >= len(people):
            return "PERSON", CONFIDENCE["PERSON"]
        return "ORGANIZATION", CONFIDENCE["ORGANIZATION"]  # a "customer" column of company names
    if kind == "ADDRESS":
        streets = _street_share(tuple(sample))
        if streets is None or streets >= 0.3:
            return kind, CONFIDENCE[kind]
        return "LOCATION", CONFIDENCE["LOCATION"]  # an "address" column of towns or countries
    return kind, CONFIDENCE[kind]


@lru_cache(maxsize=256)
def _probable_kinds(sample: tuple[str, ...]) -> list[str] | None:
    try:
        import probablepeople
    except ImportError:
        return None
    out = []
    for text in sample:
        try:
            out.append(probablepeople.tag(text)[1])
        except Exception:  # its RepeatedLabelError: an ambiguous string, neither side's vote
            continue
    return out or None


@lru_cache(maxsize=256)
def _street_share(sample: tuple[str, ...]) -> float | None:
    try:
        import usaddress
    except ImportError:
        return None
    streets = 0
    for text in sample:
        try:
            kind = usaddress.tag(text)[1]
        except Exception:  # RepeatedLabelError
            kind = "Ambiguous"
        streets += kind in ("Street Address", "PO Box", "Intersection") or bool(_STREET_WORD.search(text))
    return streets / len(sample)


# --------------------------------------------------------------------------- context in text

_TITLES = rb"(?:Mr|Mrs|Ms|Mx|Miss|Dr|Prof|Sir|Dame|Madam|Mister|Mistress|Rev|Fr|Sr|Capt|Lt|Sgt|Col|Gen|Hon)"
_CAP = rb"[A-Z](?:[a-z'-]|\xc3[\x9f-\xbf]|[\xc4\xc5][\x80-\xbf])+"
_UCAP = rb"(?:[A-Z]|\xc3[\x80-\x9e]|[\xc4\xc5][\x80-\xbf])(?:[a-z'-]|\xc3[\x9f-\xbf]|[\xc4\xc5][\x80-\xbf])+"
"""A capitalised word, letters of Latin-1 and Latin Extended-A included (UTF-8 bytes)."""
_STREET_SUFFIX = (rb"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl|Square|Sq|"
                  rb"Terrace|Ter|Way|Parkway|Pkwy|Highway|Hwy|Circle|Cir|Trail|Trl|Alley|Row|Crescent|Close|Gardens|"
                  rb"Grove|Walk|Mews|Plaza|Loop|Pike|Expressway|Freeway|Ridge|Heights|Park|Branch|Bridge|Brook|"
                  rb"Bypass|Canyon|Causeway|Center|Cliff|Common|Corner|Course|Cove|Creek|Crest|Crossing|Dale|Estate|"
                  rb"Estates|Extension|Ferry|Field|Fields|Ford|Forest|Fork|Fort|Gateway|Glen|Green|Harbor|Haven|Hill|"
                  rb"Hills|Hollow|Island|Junction|Knoll|Lake|Landing|Lodge|Manor|Meadow|Meadows|Mill|Mills|Motorway|"
                  rb"Orchard|Oval|Pass|Path|Pines|Plain|Point|Port|Prairie|Ranch|Rapids|Ridge|River|Route|Run|Shore|"
                  rb"Shores|Spring|Springs|Station|Stream|Summit|Trace|Turnpike|Valley|View|Village|Vista|Wall|Well|"
                  rb"Wells|Wharf|Yard)")
"""Street suffixes: the common ones of USPS Publication 28, appendix C1, and British ones (Close, Mews)."""
_STREET_PREFIX = (rb"(?:Via|Viale|Rue|Avenue|Av\.|Calle|Avenida|Rua|Plaza|Piazza|Corso|Largo|Paseo|Carrer|"
                  rb"Boulevard|Chemin|Route|Strada|Ulica|Ul\.)")
_GLUED_SUFFIX = (rb"(?:stra(?:ss|\xc3\x9f)e|str\.|weg|gasse|allee|platz|ring|damm|laan|straat|gracht|plein|gade|vej|"
                 rb"gatan|g\xc3\xa5rden|v\xc3\xa4gen|veien|gata|utca|ulica|katu|tie)")

_COMPANY = (rb"(?: (?:AG|GmbH|Inc\.?|Ltd\.?|LLC|LLP|S\.?A\.?|SARL|SAS|Corp\.?|Co\.|plc|PLC|KG|N\.?V\.?|B\.?V\.?|"
            rb"SpA|S\.p\.A\.|Srl|Group|& Co\.?|and Sons|& Sons|Partners|Associates|Foundation|University))?")
"""A company's suffix after what looks like a name ("Dr Hoenle AG"): matched so that the name is refused."""
_COMPANY_END = re.compile(r" (?:AG|GmbH|Inc\.?|Ltd\.?|LLC|LLP|S\.?A\.?|SARL|SAS|Corp\.?|Co\.|plc|PLC|KG|N\.?V\.?|B\.?V\.?|"
                          r"SpA|S\.p\.A\.|Srl|Group|& Co\.?|and Sons|& Sons|Partners|Associates|Foundation|"
                          r"University)$")

TEXT_PATTERNS = (
    ("person_title", rb"\b" + _TITLES + rb"\.? " + _UCAP + rb"(?: [A-Z]\.?)?(?: " + _UCAP + rb"){0,2}" + _COMPANY),
    ("person_named", rb"\b(?:[Mm]y name is|[Mm]y name's|[Nn]ame:|[Nn]amed|[Cc]alled|[Dd]ear|[Ss]incerely,|"
                     rb"[Rr]egards,|[Ss]igned,?|[Tt]hanks,) " + _UCAP + rb"(?: [A-Z]\.?)?(?: " + _UCAP + rb"){0,2}" + _COMPANY),
    ("street_address", rb"\b\d{1,6}[A-Za-z]?,? (?:" + _UCAP + rb" ){1,4}" + _STREET_SUFFIX + rb"\b\.?"),
    ("street_address_prefix", rb"\b" + _STREET_PREFIX + rb" (?:(?:d[aeiou]l?|de|la|le|des|du|di|del|della|dos|das) )?"
                              rb"(?:" + _UCAP + rb" ){0,3}" + _UCAP + rb",? \d{1,5}[A-Za-z]?\b"),
    ("street_address_glued", rb"\b" + _UCAP + _GLUED_SUFFIX + rb" \d{1,5}[A-Za-z]?\b"),
)
_STREET_WORD = re.compile(r"\b\d+[A-Za-z]?\b.*\b(?:street|st|avenue|ave|road|rd|lane|ln|drive|dr|boulevard|blvd|"
                          r"court|ct|way|place|pl)\b|\b(?:via|rue|calle|rua|avenida|piazza)\b.*\d|"
                          r"(?:stra(?:ss|ß)e|weg|gasse|straat|vej|gatan|utca|ulica)\s*\d", re.IGNORECASE)

_NOT_FIRST_NAMES = {"Mr", "Mrs", "Ms", "Mx", "Dr", "Prof", "Miss", "The", "A", "An", "This", "That", "These", "Those", "It", "Its", "My", "Your", "Our", "Their",
                    "His", "Her", "We", "You", "They", "He", "She", "I", "All", "Sir", "Madam", "Customer", "Sir/Madam",
                    "Team", "Support", "Friend", "Friends", "Colleague", "Colleagues", "Everyone", "User", "Users",
                    "Valued", "Hiring", "Manager", "Admin", "Mom", "Dad", "Doctor", "Client", "Member", "Members",
                    "Partner", "Partners", "Reader", "Readers", "Editor", "Applicant", "Candidate", "Guest",
                    "Thanks", "Thank", "Hello", "Hi", "Best", "Kind", "Warm", "Regards", "Yours", "Sincerely",
                    "Street", "Avenue", "Road", "North", "South", "East", "West", "New", "Old", "Saint", "St", "Mount",
                    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "January",
                    "February", "March", "April", "May", "June", "July", "August", "September", "October",
                    "November", "December", "God", "Lord", "Santa", "Pepper", "Who", "Strange", "Seuss", "Evil"}


def _mid_word(after: bytes) -> bool:
    """Whether a match ends inside a word (Hyperscan reports every end: "Dr. Peppe" of "Dr. Pepper")."""
    return bool(after) and (after[:1].isalnum() or after[0] >= 0x80)


def person_in_context(text: str, _column, _before, after):
    """A name after a title or an introduction ("Dr. Ann Lee", "my name is Ann Lee")."""
    if _COMPANY_END.search(text):
        return False  # "Dr Hoenle AG" is a company, and so is none of its prefixes
    if _mid_word(after):
        return None
    name = _name_part(text)
    if name is None:
        return False  # "Dear Sir", "Dr. Pepper": the first word decides for every shorter end too
    return "PERSON", 0.6, " ".join(name.lower().split())


def _name_part(text: str) -> str | None:
    words = text.split(" ")
    # drop the title or the introduction: everything up to the first capitalised word after it
    lead = 1
    lowered = text.lower()
    for phrase in ("my name is ", "my name's ", "name: ", "sincerely, ", "regards, ", "signed, ", "thanks, "):
        if lowered.startswith(phrase):
            lead = len(phrase.strip().split(" "))
            break
    names = words[lead:]
    if not names or names[0].rstrip(".,") in _NOT_FIRST_NAMES:
        return None
    return " ".join(names)


def street_address(text: str, _column, _before, after):
    """A number and a street (either order), or a street glued to its suffix and a number."""
    if _mid_word(after):
        return None
    return "ADDRESS", 0.65, " ".join(text.lower().split())


# --------------------------------------------------------------------------- NER results

_COMMON = {"i", "im", "ok", "okay", "yes", "no", "hi", "hello", "hey", "thanks", "please", "sorry", "dear",
           "mr", "mrs", "ms", "dr", "sir", "madam", "god", "lol", "omg", "wow", "covid", "internet", "email",
           "phone", "customer", "user", "admin", "team", "support", "manager", "order", "account", "card"}
_DIGIT = re.compile(r"\d")


_LINE_BREAK = re.compile(r"\n|\\n|\r")


_TRAILING_NUMBER = re.compile(r"(?:[ ,]+\d[\d -]*)+$")


def entity_pieces(kind: str, text: str) -> list[tuple[int, str]]:
    """(offset, text) of an entity's lines (a written ``\\n`` breaks one too: a model reads a name and
    the company and address lines under it as one entity); a place without the postcode after it."""
    out = []
    at = 0
    for match in [*_LINE_BREAK.finditer(text), None]:
        end = match.start() if match else len(text)
        piece = text[at:end]
        if kind == "LOCATION":
            piece = _TRAILING_NUMBER.sub("", piece)
        lead = len(piece) - len(piece.lstrip())
        if piece.strip():
            out.append((at + lead, piece.strip()))
        if match:
            at = match.end()
    return out


def sentence_start(text: str, at: int) -> bool:
    """Whether ``at`` begins the text or a sentence in it."""
    before = text[:at].rstrip(" \t\"'(")
    return not before or before[-1] in ".!?:;\n" or before.endswith("\\n")


def keep_entity(kind: str, text: str) -> bool:
    """Whether a model's entity can be what it is labelled: no digits in a name or a place (a model
    labels "Room 101" and "iPhone 12" too), no lower-case or one-word greeting as a person, no
    address or handle."""
    stripped = text.strip(" \t\n.,;:!?\"'()[]")
    if len(stripped) < 2 or "@" in stripped or "://" in stripped:
        return False
    if kind in ("PERSON", "LOCATION") and _DIGIT.search(stripped):
        return False
    digits = sum(c.isdigit() for c in stripped)
    if digits and digits >= sum(c.isalpha() for c in stripped):
        return False  # a number with a word beside it ("9380 6377 office", "APO AA 31448")
    if len(stripped) <= 2 and stripped.isupper():
        return False  # a state or country code on its own line
    if kind == "PERSON":
        if stripped.islower() or stripped.isupper() and len(stripped) <= 4:
            return False
        if stripped.lower().replace("'", "") in _COMMON:
            return False
    return True
