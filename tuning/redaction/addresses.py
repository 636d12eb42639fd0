"""Street addresses: a street, its house number, and the floor, postcode and city after it.

Three shapes, each needing a street word, a capitalised street name and a house
number, so "3 shampoo bars" or "envíos a 28013" never match:

- type first (Spain, Catalonia, Galicia, Portugal, Italy, France):
  "Calle Mayor 12, 3º B, 28013 Madrid", "C/ Mayor, nº 5", "Avda. de la Constitución 3",
  "Carrer de Mallorca 401, 08013 Barcelona", "Via Roma 10", "Rua Augusta 100, 1100-048 Lisboa";
- number first (UK, Ireland, US, France): "221B Baker Street, London NW1 6XE",
  "1600 Pennsylvania Ave NW, Washington, DC 20500", "12 rue de la Paix, 75002 Paris";
- name and street word joined (Germany, Austria, Switzerland, the Netherlands,
  Scandinavia): "Hauptstraße 5, 10115 Berlin", "Kerkstraat 12, 1017 GC Amsterdam".

The floor and door ("3º B", "piso 2", "Apt 4B", "Flat 2"), a postcode (Spanish,
French, German or Italian 5 digits, Portuguese 1234-567, Dutch 1234 AB, UK, US
ZIP with its state) and the city words after it are part of the redacted span.
A postcode and a city alone ("a 28013 Madrid tarda 2 días") stay: they locate
an area, not a person. Missed: addresses without a house number, PO boxes,
addresses written all in capitals or split over several lines.
"""

from __future__ import annotations

import re

from tuning.redaction.base import Hit

UP = "A-ZÀ-ÖØ-Þ"
LO = "a-zß-öø-ÿ"
# A word of a street name: "Mayor", "O'Donnell", "Sta." before another word, "XII".
WORD = rf"(?:[{UP}][{LO}]*(?:['’-][{UP}]?[{LO}]+)*(?:\.(?=[ \t]+[{UP}]))?|[IVXLC]{{1,5}}(?!\w))"
CITY_WORD = rf"[{UP}][{LO}]+(?:['’-][{UP}]?[{LO}]+)*"
PARTICLE = r"(?:de|del|la|las|los|el|d'|dels|i|da|do|dos|das|di|della|des|du|le|of|the|von|van|der)"
NAME = rf"(?:{PARTICLE}\s+)*{WORD}(?:[ \t]+(?:{PARTICLE}[ \t]+)*{WORD}){{0,4}}"
CITY = rf"{CITY_WORD}(?:[ \t-]+(?:{PARTICLE}[ \t]+)?{CITY_WORD}){{0,2}}"

ES_TYPE = (
    r"(?:(?i:calle|c/|avenida|avda\.?|avd\.?|av\.|plaza|pza\.?|paseo|p[º°]\.?|camino|carretera"
    r"|ctra\.?|ronda|travesía|glorieta|rambla|urbanización|urb\.|carrer|passeig|avinguda|plaça"
    r"|rúa|bulevar|alameda|callejón|cuesta)"
    r"|Cl\.|Via|Viale|Piazza|Corso|Largo|Rua|Praça|Travessa|Estrada|Rue|Avenue|Boulevard|Chemin"
    r"|Allée|Quai)"
    rf"(?![{LO}])"
)
FLOOR = (
    r"(?:\d{1,2}\s?[º°ª]\s?(?:[A-Z]|izq(?:uierda|da)?\.?|dcha\.?|dch\.?|derecha|centro)?"
    r"|(?i:piso|planta|puerta|pta\.|esc\.|escalera|local)\s*\w{1,3}|bajo(?:\s[A-Z])?|ático"
    r"|entresuelo|(?:Apt|Apartment|Flat|Suite|Unit|Ste|Floor)\.?\s*\w{1,5}|#\s?\d{1,5})(?!\w)"
)
EU_POSTCODE = (
    rf"(?:(?i:CP|C\.P\.)\s*)?(?:\d{{5}}|\d{{4}}-\d{{3}}|\d{{4}}\s?[A-Z]{{2}})(?!\w)[ \t,]*{CITY}"
)
UK_POSTCODE = r"[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}(?!\w)"
US_ZIP = r"[A-Z]{2}\s+\d{5}(?:-\d{4})?(?!\w)"
EN_SUFFIX = (
    r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Boulevard|Blvd|Way|Close|Court|Ct|Place"
    r"|Pl|Square|Sq|Terrace|Crescent|Grove|Gardens|Row|Parkway|Pkwy|Highway|Hwy|Mews|Walk)"
    r"(?!\w)\.?"
    r"(?:\s(?:N|S|E|W|NE|NW|SE|SW)\b)?"
)
FR_TYPE = r"(?i:rue|avenue|av\.|boulevard|bd|place|chemin|allée|impasse|quai|cours|route)(?!\w)"
JOINED = (
    r"(?:straße|strasse|str\.|weg|gasse|platz|allee|damm|ufer|chaussee|straat|laan|gracht|plein"
    r"|steeg|vej|gatan|vägen|veien)"
)
TAIL = (
    rf"(?:[ \t]*,?[ \t]*{FLOOR}){{0,3}}"
    rf"(?:[ \t]*,?[ \t]*(?:{EU_POSTCODE}|(?:{CITY}[ \t]*,?[ \t]*)?(?:{UK_POSTCODE}|{US_ZIP})))?"
)

_ADDRESS = re.compile(
    rf"(?<![\w/]){ES_TYPE}[ \t]*{NAME}(?:[ \t]*,[ \t]*|[ \t]+)"
    rf"(?:(?i:n[º°o]\.?|núm\.?|número)[ \t]*)?(?:\d{{1,4}}[A-Za-z]?|s/n)(?!\w){TAIL}"
    rf"|(?<![\w.,/-])\d{{1,5}}[A-Za-z]?(?:[ \t]?(?:bis|ter))?,?[ \t]+"
    rf"(?:{FR_TYPE}[ \t]+{NAME}|{WORD}(?:[ \t]+{WORD}){{0,3}}[ \t]+{EN_SUFFIX}){TAIL}"
    rf"|(?<!\w)[{UP}][{LO}]+(?:{JOINED}|(?:er)?[ \t]+(?:Straße|Strasse|Str\.|Weg|Platz|Allee))"
    rf"[ \t]+\d{{1,4}}[a-z]?(?!\w){TAIL}"
)
# Every address above has a house number after a capitalised word ("Mayor 12"), or
# before one or a French street word ("221B Baker", "12 rue"), or "s/n".
CAPITAL_NUMBER = re.compile(rf"[{UP}][{LO}]+\.?,?[ \t]+(?:n[º°o]\.?[ \t]*)?\d")
NUMBER_WORD = re.compile(rf"\d[A-Za-z]?,?[ \t]+(?:[{UP}]|{FR_TYPE}\b)")


def addresses(text: str, hit: Hit) -> str:
    if not (CAPITAL_NUMBER.search(text) or NUMBER_WORD.search(text) or "s/n" in text):
        return text
    return _ADDRESS.sub(lambda m: hit("address", m.group(0).rstrip(" ,")), text)
