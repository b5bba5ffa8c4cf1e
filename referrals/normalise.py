"""Matching keys: the same person or place written differently must give the same key.

Pure functions (no database). Names: case, punctuation, spacing, titles, middle names and
common short forms (Bill -> william). Addresses: case, punctuation, abbreviations (St ->
street), flat numbering ("Flat 3, 12 Mill St" = "3/12 Mill Street"), trailing town and
county. Coordinates: a ~50 m grid cell and its neighbours.
"""

import re
import unicodedata
from datetime import date

POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})$")

# Short forms and spelling variants of first names -> one canonical form. Kept small and
# unambiguous: a wrong merge would link two different people.
_NAME_VARIANTS = {
    "william": ["bill", "billy", "will", "willy", "liam"],
    "robert": ["bob", "bobby", "rob", "robbie", "bert"],
    "james": ["jim", "jimmy", "jamie"],
    "michael": ["mike", "mick", "micky", "mickey"],
    "david": ["dave", "davey"],
    "stephen": ["steve", "steven", "stevie"],
    "christopher": ["chris", "kit"],
    "thomas": ["tom", "tommy"],
    "anthony": ["tony", "antony"],
    "elizabeth": ["liz", "lizzie", "beth", "betty", "eliza", "elisabeth"],
    "katherine": ["kate", "katie", "kathryn", "catherine", "kathy", "cathy"],
    "margaret": ["maggie", "meg", "peggy", "marge"],
    "susan": ["sue", "susie"],
    "jennifer": ["jen", "jenny"],
    "daniel": ["dan", "danny"],
    "joseph": ["joe", "joey"],
    "alexander": ["alex", "sandy"],
    "andrew": ["andy", "drew"],
    "nicholas": ["nick", "nicky"],
    "matthew": ["matt"],
    "benjamin": ["ben", "benny"],
    "richard": ["rick", "ricky", "dick"],
    "edward": ["ed", "eddie", "ted", "teddy"],
    "jonathan": ["jon", "jonny"],
    "samuel": ["sam", "sammy"],
    "patricia": ["pat", "patsy", "trish"],
    "deborah": ["debbie", "debra", "deb"],
    "rebecca": ["becky", "becca"],
    "victoria": ["vicky", "vikki", "tori"],
    # Spelling variants of the same name.
    "brian": ["bryan"],
    "philip": ["phillip", "phil"],
    "sean": ["shaun", "shawn"],
    "mohammed": ["muhammad", "mohammad", "mohamed", "mohamad", "muhammed"],
    "zoe": ["zoey"],
}
NAME_VARIANTS = {short: full for full, shorts in _NAME_VARIANTS.items() for short in shorts}
TITLES = {"mr", "mrs", "ms", "miss", "mx", "dr", "rev", "sir", "dame", "prof", "master"}

# Street types and other address words -> one spelling.
ADDRESS_WORDS = {
    "st": "street",
    "str": "street",
    "rd": "road",
    "ave": "avenue",
    "av": "avenue",
    "ln": "lane",
    "dr": "drive",
    "cl": "close",
    "ct": "court",
    "cres": "crescent",
    "cresc": "crescent",
    "pl": "place",
    "sq": "square",
    "gdns": "gardens",
    "gdn": "gardens",
    "tce": "terrace",
    "terr": "terrace",
    "gr": "grove",
    "gro": "grove",
    "pk": "park",
    "wy": "way",
    "hse": "house",
    "ho": "house",
    "bldgs": "buildings",
    "mt": "mount",
    "apartment": "flat",
    "apt": "flat",
    "unit": "flat",
    "no": "",
    "number": "",
}
STREET_TYPES = {
    "street",
    "road",
    "avenue",
    "lane",
    "drive",
    "close",
    "court",
    "crescent",
    "place",
    "square",
    "gardens",
    "terrace",
    "grove",
    "park",
    "way",
    "row",
    "walk",
    "view",
    "hill",
    "brow",
    "mews",
    "green",
    "rise",
    "parade",
    "estate",
}


def _ascii_words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"['’`]", "", text)  # O'Neill -> oneill
    return re.findall(r"[a-z0-9]+", text)


def normalise_postcode(value: str | None) -> str | None:
    """'ca287xy' -> 'CA28 7XY'; None when it is not a UK postcode's shape."""
    if not value:
        return None
    compact = re.sub(r"\s+", "", value.upper())
    match = POSTCODE.match(compact)
    return f"{match.group(1)} {match.group(2)}" if match else None


def name_key(name: str | None) -> str | None:
    """First name (canonical form) and surname: 'Mr. BILL  Smith-Jones' -> 'william smithjones'.

    Middle names are dropped (often left out); hyphenated surnames are joined."""
    if not name:
        return None
    name = re.sub(r"-", "", name)
    words = [w for w in _ascii_words(name) if w not in TITLES]
    if not words:
        return None
    first = NAME_VARIANTS.get(words[0], words[0])
    return first if len(words) == 1 else f"{first} {words[-1]}"


def address_key(address: str | None, postcode: str | None = None) -> str | None:
    """Number, flat and street: 'Flat 3, 12 Mill St., Whitehaven' -> 'flat 3 12 mill street'.

    Text after the first street-type word (town, county, postcode) is dropped; without one,
    a postcode found in the text is dropped and the rest kept."""
    if not address:
        return None
    text = address.upper()
    pc = normalise_postcode(postcode) if postcode else None
    # Remove any postcode inside the text (with or without its space).
    text = re.sub(r"\b[A-Z]{1,2}[0-9][A-Z0-9]?\s*[0-9][A-Z]{2}\b", " ", text)
    # "3/12 Mill St" and "3-12" are flat 3 at number 12.
    text = re.sub(r"\b(\d+[A-Z]?)\s*[/]\s*(\d+)\b", r"FLAT \1 \2", text)
    words = []
    for word in _ascii_words(text):
        word = ADDRESS_WORDS.get(word, word)
        if word:
            words.append(word)
    # "Flat 3" vs "3 12 Mill Street": keep "flat" only when followed by its number.
    for i, word in enumerate(words):
        if word in STREET_TYPES and i > 0:
            words = words[: i + 1]
            break
    key = " ".join(words)
    if not key:
        return None
    return f"{key} {pc}" if pc and not any(w in STREET_TYPES for w in words) else key


def person_keys(name: str | None, date_of_birth: date | None, address: str | None):
    """(date-of-birth key, address key) for a person; either may be None."""
    n = name_key(name)
    if n is None:
        return None, None
    dob = f"n:{n}|d:{date_of_birth.isoformat()}" if date_of_birth else None
    a = address_key(address)
    addr = f"n:{n}|a:{a}"[:200] if a else None
    return dob, addr


# A grid of ~55 m (latitude) by ~52 m (longitude at 54°N) cells. A place matches anything in
# its own cell or the eight around it: within roughly 50-150 m.
LAT_STEP = 0.0005
LON_STEP = 0.0008


def _cell_indices(lat: float, lon: float) -> tuple[int, int]:
    return int(lat // LAT_STEP), int(lon // LON_STEP)


def grid_cell(lat: float | None, lon: float | None) -> str | None:
    if lat is None or lon is None:
        return None
    y, x = _cell_indices(lat, lon)
    return f"{y}:{x}"


def neighbour_cells(lat: float | None, lon: float | None) -> list[str]:
    if lat is None or lon is None:
        return []
    y, x = _cell_indices(lat, lon)
    return [f"{y + dy}:{x + dx}" for dy in (-1, 0, 1) for dx in (-1, 0, 1)]


def neighbours(cell: str) -> list[str]:
    """A cell key's own cell and the eight around it."""
    y, x = (int(v) for v in cell.split(":"))
    return [f"{y + dy}:{x + dx}" for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
