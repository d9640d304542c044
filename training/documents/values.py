"""Fictitious identities for the document templates: names, dates, numbers and a valid MRZ.

:func:`generate_values` reads a template's ``generator.json`` (DocXPand's field list: value
type, Faker provider, pattern, choices, date format, locales) and returns one value per field
name, for both sides of the card, so the back's MRZ repeats the front's name and dates.
Everything comes from a seeded Faker (locales as the template asks) and a seeded numpy
generator: the same seed gives the same identity. No real person's data is involved.

The MRZ follows ICAO 9303 (TD1 3x30, TD2 2x36, TD3 2x44) with check digits from
:func:`liveness.documents.mrz.mrz_check_digit`, so :func:`liveness.documents.parse_mrz`
accepts it; a document number over 9 characters continues in the optional data as ICAO says.

Dates are relative to the fixed :data:`REFERENCE_DATE` (not today), so a seed gives the same
document on any day.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from functools import lru_cache

import numpy as np
from faker import Faker

from liveness.documents.mrz import mrz_check_digit
from liveness.errors import DocumentError

__all__ = [
    "REFERENCE_DATE",
    "generate_values",
    "make_mrz",
    "mrz_name",
    "mutate_value",
]

REFERENCE_DATE = date(2025, 6, 1)
DOC_SYNTH_BAD_ARGUMENT = "DOC_SYNTH_BAD_ARGUMENT"
_FORMAT_REF = re.compile(r"\|(\w+)&")
_TRANSLIT = str.maketrans(
    {
        "ß": "SS",
        "Æ": "AE",
        "æ": "AE",
        "Ø": "O",
        "ø": "O",
        "Œ": "OE",
        "œ": "OE",
        "Þ": "TH",
        "ı": "I",
        "Ł": "L",
        "ł": "L",
        "Đ": "D",
        "đ": "D",
    }
)
# ISO 3166-1 alpha-3 of the locales residence-permit templates draw foreign names from.
_LOCALE_NATION = {
    "az": "AZE", "cs": "CZE", "da": "DNK", "de_AT": "AUT", "de_CH": "CHE", "de": "DEU", "en_GB": "GBR",
    "en_IE": "IRL", "en_IN": "IND", "en_NZ": "NZL", "en_US": "USA", "es_CL": "CHL", "es_CO": "COL",
    "es_MX": "MEX", "es": "ESP", "fi": "FIN", "fr_CA": "CAN", "fr_CH": "CHE", "fr": "FRA", "hr": "HRV",
    "hu": "HUN", "id": "IDN", "it": "ITA", "nl_BE": "BEL", "nl": "NLD", "no": "NOR", "pl": "POL",
    "pt_BR": "BRA", "pt": "PRT", "ro": "ROU", "sl": "SVN", "sv": "SWE", "tr": "TUR",
}  # fmt: skip
_AUTHORITY = {
    "de": ("Stadt {city}", "Bürgeramt {city}", "Landratsamt {city}"),
    "fr": ("Préfecture de {city}", "Mairie de {city}", "Sous-préfecture de {city}"),
    "es": ("Dirección General de la Policía {city}", "Comisaría de {city}"),
    "it": ("Comune di {city}", "Questura di {city}"),
    "pt": ("Conservatória do Registo Civil {city}", "Câmara Municipal de {city}"),
    "nl": ("Gemeente {city}", "Burgemeester van {city}"),
    "en": ("{city} Passport Office", "Home Office {city}", "{city} City Council"),
}
_PERMIT = {
    "fr": {
        "TEMPORARY": "CARTE DE SÉJOUR TEMPORAIRE",
        "MULTI_YEAR": "CARTE DE SÉJOUR PLURIANNUELLE",
        "RESIDENT_CARD": "CARTE DE RÉSIDENT",
        "CITIZEN_CARD": "CARTE DE SÉJOUR CITOYEN",
        "RESIDENCE_CERTIFICATE": "CERTIFICAT DE RÉSIDENCE",
    },
    "it": {
        "TEMPORARY": "PERMESSO DI SOGGIORNO TEMPORANEO",
        "MULTI_YEAR": "PERMESSO PLURIENNALE",
        "RESIDENT_CARD": "CARTA DI SOGGIORNO",
        "CITIZEN_CARD": "CARTA DI SOGGIORNO CITTADINO",
        "RESIDENCE_CERTIFICATE": "ATTESTATO DI RESIDENZA",
    },
    "de": {
        "TEMPORARY": "AUFENTHALTSERLAUBNIS BEFRISTET",
        "MULTI_YEAR": "AUFENTHALTSERLAUBNIS MEHRJÄHRIG",
        "RESIDENT_CARD": "NIEDERLASSUNGSERLAUBNIS",
        "CITIZEN_CARD": "AUFENTHALTSKARTE",
        "RESIDENCE_CERTIFICATE": "AUFENTHALTSBESCHEINIGUNG",
    },
    "nl": {
        "TEMPORARY": "VERBLIJFSVERGUNNING BEPAALDE TIJD",
        "MULTI_YEAR": "VERBLIJFSVERGUNNING MEERJARIG",
        "RESIDENT_CARD": "VERBLIJFSDOCUMENT",
        "CITIZEN_CARD": "VERBLIJFSKAART",
        "RESIDENCE_CERTIFICATE": "VERBLIJFSVERKLARING",
    },
    "en": {
        "TEMPORARY": "TEMPORARY RESIDENCE PERMIT",
        "MULTI_YEAR": "MULTI-YEAR RESIDENCE PERMIT",
        "RESIDENT_CARD": "RESIDENT CARD",
        "CITIZEN_CARD": "CITIZEN RESIDENCE CARD",
        "RESIDENCE_CERTIFICATE": "RESIDENCE CERTIFICATE",
    },
}
_OBSERVATIONS = {
    "fr": {
        "WORK": "AUTORISE SON TITULAIRE À TRAVAILLER",
        "FAMILY": "VIE PRIVÉE ET FAMILIALE",
        "STUDENT": "ÉTUDIANT",
        "STUDENT_2": "ÉTUDIANT - ÉLÈVE",
        "FULL": "AUTORISE SON TITULAIRE À TRAVAILLER\nSUR TOUT LE TERRITOIRE\nSANS RESTRICTION",
        "PARTIAL": "TRAVAIL LIMITÉ À 60 %\nDE LA DURÉE ANNUELLE\nDU TRAVAIL",
        "ACCESSORY": "ACTIVITÉ ACCESSOIRE\nAUTORISÉE\n-",
    },
    "it": {
        "WORK": "LAVORO SUBORDINATO",
        "FAMILY": "MOTIVI FAMILIARI",
        "STUDENT": "STUDIO",
        "STUDENT_2": "STUDIO - UNIVERSITÀ",
        "FULL": "CONSENTE DI SVOLGERE\nATTIVITÀ LAVORATIVA\nSENZA LIMITI",
        "PARTIAL": "LAVORO PARZIALE\nMASSIMO 20 ORE\nSETTIMANALI",
        "ACCESSORY": "ATTIVITÀ ACCESSORIA\nCONSENTITA\n-",
    },
    "de": {
        "WORK": "ERWERBSTÄTIGKEIT GESTATTET",
        "FAMILY": "FAMILIENNACHZUG",
        "STUDENT": "STUDIUM",
        "STUDENT_2": "STUDIUM - HOCHSCHULE",
        "FULL": "ERWERBSTÄTIGKEIT\nUNEINGESCHRÄNKT\nGESTATTET",
        "PARTIAL": "BESCHÄFTIGUNG BIS\n120 TAGE IM JAHR\nGESTATTET",
        "ACCESSORY": "NEBENTÄTIGKEIT\nGESTATTET\n-",
    },
    "nl": {
        "WORK": "ARBEID VRIJ TOEGESTAAN",
        "FAMILY": "VERBLIJF BIJ FAMILIE",
        "STUDENT": "STUDIE",
        "STUDENT_2": "STUDIE - HOGESCHOOL",
        "FULL": "ARBEID VRIJ\nTOEGESTAAN\nGEEN BEPERKING",
        "PARTIAL": "ARBEID BEPERKT\nTOT 16 UUR\nPER WEEK",
        "ACCESSORY": "NEVENWERK\nTOEGESTAAN\n-",
    },
    "en": {
        "WORK": "EMPLOYMENT PERMITTED",
        "FAMILY": "FAMILY MEMBER",
        "STUDENT": "STUDENT",
        "STUDENT_2": "STUDENT - UNIVERSITY",
        "FULL": "EMPLOYMENT\nPERMITTED\nNO RESTRICTIONS",
        "PARTIAL": "WORK LIMITED TO\n20 HOURS\nPER WEEK",
        "ACCESSORY": "SECONDARY ACTIVITY\nPERMITTED\n-",
    },
}


@lru_cache(maxsize=64)
def _faker(locale: str) -> Faker:
    try:
        fake = Faker(locale)
    except AttributeError:
        fake = Faker("en_GB")
    # Faker's it_IT city list is built from a set, so its order (and the city a seed draws)
    # changes with each process's hash seed: training workers and reruns would not make the
    # same identity from the same seed. Sorted, it is the same everywhere.
    for provider in fake.providers:
        cities = getattr(provider, "cities", None)
        if isinstance(cities, list):
            provider.cities = sorted(cities)
    return fake


def _weighted(rng: np.random.Generator, weights: Mapping[str, float] | str | None, default: str) -> str:
    if isinstance(weights, str):
        return weights
    if not weights:
        return default
    keys = list(weights)
    p = np.array([max(float(weights[k]), 0.0) for k in keys])
    if p.sum() <= 0:
        return default
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


def _lang(locale: str) -> str:
    return locale.split("_")[0]


def _by_lang(table: Mapping[str, object], locale: str) -> object:
    return table.get(_lang(locale), table["en"])


def mrz_name(text: str) -> str:
    """A name in MRZ characters: upper case, accents dropped, other characters as ``<``.

    Examples
    --------
    >>> mrz_name("Müller-Lüdenscheidt"), mrz_name("Ståhl Œuvre")
    ('MULLER<LUDENSCHEIDT', 'STAHL<OEUVRE')
    """
    text = unicodedata.normalize("NFKD", text.translate(_TRANSLIT))
    text = "".join(c for c in text if not unicodedata.combining(c)).upper().translate(_TRANSLIT)
    return re.sub(r"[^A-Z]", "<", text)


def _pad(text: str, n: int) -> str:
    return (text + "<" * n)[:n]


def _names_field(surname: str, given: str, n: int) -> str:
    primary = mrz_name(surname).strip("<")
    secondary = "<".join(mrz_name(g).strip("<") for g in re.split(r"[ ,]+", given) if g)
    return _pad(f"{primary}<<{secondary}", n)


def _with_check(text: str) -> str:
    return text + mrz_check_digit(text)


def make_mrz(
    layout: str,
    *,
    document_code: str,
    state: str,
    surname: str,
    given_names: str,
    number: str,
    nationality: str,
    birth: date,
    sex: str,
    expiry: date,
    optional: str = "",
) -> list[str]:
    """The MRZ lines of a TD1, TD2 or TD3 document with correct check digits.

    Parameters
    ----------
    layout : {"td1", "td2", "td3"}
    document_code : str
        1-2 letters (``"ID"``, ``"P"``, ``"CR"``).
    state, nationality : str
        3-letter codes (longer names are cut to 3 letters).
    sex : str
        ``"M"``, ``"F"`` or anything else for unspecified (``<``).
    optional : str
        Personal number (TD3) or optional data.

    Examples
    --------
    >>> from liveness.documents import parse_mrz
    >>> lines = make_mrz("td3", document_code="P", state="UTO", surname="Eriksson",
    ...                  given_names="Anna Maria", number="L898902C3", nationality="UTO",
    ...                  birth=date(1974, 8, 12), sex="F", expiry=date(2032, 4, 15))
    >>> lines[1][:10], parse_mrz(lines, today=date(2025, 1, 1)).valid
    ('L898902C36', True)
    """
    code = _pad(mrz_name(document_code).replace("<", "") or "I", 2)
    state3 = _pad(mrz_name(state).replace("<", ""), 3)
    nat3 = _pad(mrz_name(nationality).replace("<", ""), 3)
    num = re.sub(r"[^A-Z0-9]", "", number.upper())
    sex1 = sex if sex in ("M", "F") else "<"
    born, expires = birth.strftime("%y%m%d"), expiry.strftime("%y%m%d")
    opt = re.sub(
        r"[^A-Z0-9<]", "", mrz_name(optional) if re.search(r"[A-Za-z]", optional) else optional.replace(" ", "")
    )
    if layout == "td3":
        line1 = code + state3 + _names_field(surname, given_names, 39)
        personal = _pad(opt, 14)
        personal_cd = mrz_check_digit(personal) if personal.strip("<") else "<"
        head = (
            _with_check(_pad(num, 9)) + nat3 + _with_check(born) + sex1 + _with_check(expires) + personal + personal_cd
        )
        composite = head[0:10] + head[13:20] + head[21:43]
        return [line1, head + mrz_check_digit(composite)]
    if layout not in ("td1", "td2"):
        raise DocumentError(f"unknown MRZ layout {layout!r}", code=DOC_SYNTH_BAD_ARGUMENT)
    if len(num) > 9:  # long number: '<' where the check digit goes, rest + check in the optional data
        number_field = num[:9] + "<"
        extra = num[9:] + mrz_check_digit(num)
    else:
        number_field = _with_check(_pad(num, 9))
        extra = ""
    if layout == "td2":
        line1 = code + state3 + _names_field(surname, given_names, 31)
        head = number_field + nat3 + _with_check(born) + sex1 + _with_check(expires) + _pad(extra + opt, 7)
        composite = head[0:10] + head[13:20] + head[21:35]
        return [line1, head + mrz_check_digit(composite)]
    line1 = code + state3 + number_field + _pad(extra + opt, 15)
    line2 = _with_check(born) + sex1 + _with_check(expires) + nat3 + _pad("", 11)
    composite = line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29]
    return [line1, line2 + mrz_check_digit(composite), _names_field(surname, given_names, 30)]


# ---------------------------------------------------------------- field values


class _Person:
    """The person and document behind one identity (shared by all fields)."""

    def __init__(self, rng: np.random.Generator, context: Mapping, seed: int) -> None:
        gender = _weighted(rng, context.get("gender"), "female")
        self.gender = gender if gender in ("male", "female") else "nonbinary"
        self.locale = _weighted(rng, context.get("locale"), "en_GB")
        self.name_locale = _weighted(rng, context.get("name_locale"), self.locale)
        self.fake = _faker(self.locale)
        self.fake.seed_instance(seed)
        self.name_fake = _faker(self.name_locale)
        self.name_fake.seed_instance(seed + 1)
        age_days = int(rng.integers(18 * 365, 85 * 365))
        self.birth = REFERENCE_DATE - timedelta(days=age_days)
        self.expiry = REFERENCE_DATE + timedelta(days=int(rng.integers(30, 10 * 365)))
        self.sex = {"male": "M", "female": "F"}.get(self.gender, "X")

    def name_part(self, kind: str) -> str:
        suffix = "" if self.gender == "nonbinary" else f"_{self.gender}"
        method = getattr(self.name_fake, f"{kind}{suffix}", None) or getattr(self.name_fake, kind)
        return str(method())

    def city(self) -> str:
        return str(self.fake.city())


def _date_format(spec: Mapping) -> str:
    return str(spec.get("format") or "%d.%m.%Y")


def _name_value(rng: np.random.Generator, person: _Person, spec: Mapping, kind: str) -> str:
    parts = spec.get("parts") or {"1": 1.0}
    n = int(_weighted(rng, parts, "1"))
    separator = str(spec.get("separator", " "))
    names: list[str] = []
    while len(names) < n:
        name = person.name_part(kind)
        if name not in names:
            names.append(name)
    text = separator.join(names)
    max_chars = int(spec.get("max_chars_per_line") or 0) * max(int(spec.get("lines") or 1), 1)
    if max_chars and len(text) > max_chars:
        text = names[0]
    return text


def _bothify(person: _Person, call_args: Mapping) -> str:
    text = str(call_args.get("text", "??#?#??##"))
    letters = str(call_args.get("letters", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    return str(person.fake.bothify(text=text, letters=letters))


def _format_address_fields(person: _Person, fmt: str | None, call_context: Mapping) -> str:
    if not fmt:
        return person.city()
    values = {}
    for key in re.findall(r"\{(\w+)\}", fmt):
        method = call_context.get(key, key)
        if method in ("state", "state_abbreviation"):
            getter = getattr(person.fake, "state_abbr" if method == "state_abbreviation" else "state", None)
            getter = getter or getattr(person.fake, "administrative_unit", None) or person.fake.city
            values[key] = str(getter())
        elif method in ("birth_country", "country"):
            values[key] = str(getattr(person.name_fake, "current_country", person.name_fake.city)())
        elif method in ("birth_city",):
            values[key] = str(person.name_fake.city())
        else:
            values[key] = person.city()
    return fmt.format(**values)


def _address(person: _Person, lines: int) -> str:
    rows = [r.strip() for r in str(person.fake.address()).split("\n") if r.strip()]
    if lines <= 1:
        return ", ".join(rows)
    while len(rows) > lines:
        rows[-2:] = [", ".join(rows[-2:])]
    return "\n".join(rows)


def _height(rng: np.random.Generator, person: _Person, method: str) -> str:
    cm = int(np.clip(rng.normal(178 if person.gender == "male" else 165, 7), 145, 205))
    if "centimeter" in method:
        return f"{cm} cm"
    decimal = "." if _lang(person.locale) == "en" else ","
    return f"{cm // 100}{decimal}{cm % 100:02d} m"


def _field_specs(generator: Mapping) -> list[tuple[str, str, Mapping]]:
    out = []
    for side, body in (generator.get("sides") or {}).items():
        for spec in body.get("fields", []):
            if isinstance(spec, Mapping) and "name" in spec:
                out.append((str(side), str(spec["name"]), spec))
    return out


def generate_values(generator: Mapping, *, seed: int, extra_fields: Sequence[str] = ()) -> dict[str, str]:
    """One fictitious identity for a template: field name -> printed text.

    Parameters
    ----------
    generator : Mapping
        The template's ``generator.json`` (may be empty: then names alone decide).
    seed : int
        Same seed, same values.
    extra_fields : sequence of str
        Field names the SVG has but the generator does not list; they get a value by name.

    Returns
    -------
    dict of str to str
        Multi-line values (address, MRZ) hold ``"\\n"``-separated lines. Also holds the
        MRZ-relevant extras ``_surname``, ``_given``, ``_number`` for the forgers.

    Examples
    --------
    >>> gen = {"context": {"locale": "en_GB"}, "sides": {"front": {"fields": [
    ...     {"name": "family_name", "type": "name"}, {"name": "mrz", "type": "mrz",
    ...      "provider": {"__method__": "td1", "call_args": {"document_code": "ID"}}}]}}}
    >>> values = generate_values(gen, seed=1)
    >>> values == generate_values(gen, seed=1), len(values["mrz"].split("\\n"))
    (True, 3)
    """
    if not isinstance(seed, int | np.integer) or isinstance(seed, bool):
        raise DocumentError(f"seed must be an int, got {type(seed).__name__}", code=DOC_SYNTH_BAD_ARGUMENT)
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, 17])
    context = generator.get("context") or {}
    person = _Person(rng, context, int(seed) & 0x7FFFFFFF)
    specs = _field_specs(generator)
    names = {name for _, name, _ in specs}
    specs += [("", name, {}) for name in extra_fields if name not in names]
    values: dict[str, str] = {}
    dates: dict[str, date] = {"birth_date": person.birth, "expires": person.expiry}
    deferred: list[tuple[str, Mapping]] = []
    for _side, name, spec in specs:
        provider = spec.get("provider") or {}
        cls = str(provider.get("__class__", ""))
        method = str(provider.get("__method__", ""))
        call_args = provider.get("call_args") or {}
        kind = str(spec.get("type", ""))
        if kind == "photo" or name in ("photo", "ghost"):
            continue
        if kind == "mrz" or name == "mrz":
            deferred.append((name, spec))
            continue
        if "FormatProvider" in cls or "CopyProvider" in cls:
            deferred.append((name, spec))
            continue
        if kind == "name" or name in ("family_name", "given_name", "birth_name", "second_family_name"):
            first = "first_name" in method or name == "given_name"
            values[name] = _name_value(rng, person, spec, "first_name" if first else "last_name")
        elif kind == "date" or name in ("birth_date", "expires", "date_issued"):
            when = dates.get(name)
            if when is None and "date_plus_delta" in method:
                ref = dates.get((call_args.get("field_path") or ["", "expires"])[-1], person.expiry)
                years, days = int(call_args.get("years", 0)), int(call_args.get("days", 0))
                when = _add_years(ref, years) + timedelta(days=days)
            if when is None:
                when = _add_years(person.expiry, -10) + timedelta(days=1)
            dates[name] = when
            values[name] = when.strftime(_date_format(spec))
        elif name == "gender":
            values[name] = person.sex
        elif "ChoiceProvider" in cls:
            values[name] = _weighted(rng, (provider.get("init_args") or {}).get("choices"), "X")
        elif method in ("bothify", "numerify") or name in ("document_number", "personal_number", "can"):
            values[name] = _bothify(person, call_args or {"text": "??#?#??##"})
        elif "Height" in cls or name == "height":
            values[name] = _height(rng, person, method or "height_in_meters")
        elif name == "address" or (kind == "address" and "address" in method):
            values[name] = _address(person, int(spec.get("lines") or 1))
        elif "authority" in cls or name == "authority":
            city = person.city()
            options = _by_lang(_AUTHORITY, person.locale)
            text = str(spec.get("format") or options[int(rng.integers(len(options)))])  # type: ignore[index]
            text = (
                _format_address_fields(person, text, provider.get("call_context") or {})
                if "{state}" in text
                else text.format(city=city)
            )
            values[name] = text[: int(call_args.get("max_length", 60))]
        elif "signature" in method or name.endswith("signature"):
            values[name] = "sig"  # filled in below, once the names exist
        elif name == "initials":
            values[name] = "initials"
        elif name == "parents":
            values[name] = f"{person.name_fake.first_name_male()} / {person.name_fake.first_name_female()}"
        elif "permit_type" in method or name == "permit_type":
            choice = _weighted(rng, (provider.get("init_args") or {}).get("choices"), "TEMPORARY")
            values[name] = _by_lang(_PERMIT, person.locale).get(choice, choice)  # type: ignore[union-attr]
        elif "observations" in method or name == "observations":
            choice = _weighted(rng, (provider.get("init_args") or {}).get("choices"), "WORK")
            values[name] = _by_lang(_OBSERVATIONS, person.locale).get(choice, choice)  # type: ignore[union-attr]
        elif "nationality_from_locale" in method or name == "foreign_nationality":
            loc = person.name_locale
            values[name] = _LOCALE_NATION.get(loc, _LOCALE_NATION.get(_lang(loc), "XXX"))
        elif name in ("type",):
            values[name] = "P"
        elif name in ("country_code", "nationality"):
            values[name] = "UTO"
        elif "address" in cls or "place" in name or "city" in name:
            values[name] = _format_address_fields(person, spec.get("format"), provider.get("call_context") or {})
            if int(spec.get("lines") or 1) > 1 and len(values[name]) > 18 and " " in values[name]:
                values[name] = values[name].replace(" ", "\n", 1)
        else:
            values[name] = str(person.fake.bothify(text="??####", letters="ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    surname = values.get("family_name") or person.name_part("last_name")
    given = values.get("given_name") or person.name_part("first_name")
    for key, value in list(values.items()):
        if value == "sig":
            values[key] = _signature(rng, surname if key == "signature" else person.name_fake.last_name(), given)
        elif value == "initials":
            values[key] = "".join(p[0].upper() for p in re.split(r"[ ,\-]+", f"{given} {surname}") if p)
    for name, spec in deferred:
        provider = spec.get("provider") or {}
        call_args = provider.get("call_args") or {}
        if "CopyProvider" in str(provider.get("__class__", "")):
            values[name] = values.get(str(call_args.get("field_name")), str(call_args.get("default", "")))
        elif "FormatProvider" in str(provider.get("__class__", "")):
            formatter = str(call_args.get("formatter", ""))
            values[name] = _FORMAT_REF.sub(lambda m: values.get(m.group(1), ""), formatter)
        else:
            layout = str(provider.get("__method__") or "td1").lower()
            state = values.get("country_code") or values.get("nationality") or "UTO"
            nationality = values.get("nationality") or state
            optional = values.get("personal_number", "") if layout == "td3" else ""
            values[name] = "\n".join(
                make_mrz(
                    layout if layout in ("td1", "td2", "td3") else "td1",
                    document_code=str(call_args.get("document_code", "ID")),
                    state=state,
                    surname=surname,
                    given_names=given,
                    number=values.get("document_number") or _bothify(person, {"text": "??#?#??##"}),
                    nationality=nationality,
                    birth=person.birth,
                    sex=person.sex,
                    expiry=dates.get("expires", person.expiry),
                    optional=optional,
                )
            )
    values["_surname"], values["_given"] = surname, given
    return values


def _signature(rng: np.random.Generator, surname: str, given: str) -> str:
    first = given.split(",")[0].split(" ")[0]
    style = int(rng.integers(3))
    if style == 0:
        return surname.split("-")[0]
    if style == 1:
        return f"{first[:1]}. {surname.split('-')[0]}"
    return f"{first} {surname.split('-')[0][:1]}"


def _add_years(when: date, years: int) -> date:
    try:
        return when.replace(year=when.year + years)
    except ValueError:  # 29 February
        return when.replace(year=when.year + years, day=28)


def mutate_value(text: str, rng: np.random.Generator, *, alternative: str | None = None) -> str:
    """A near-miss of ``text`` as a forger would type it: a few characters changed.

    Digits become other digits, letters other letters (case kept); with ``alternative``
    (another identity's value of the field) it is sometimes used whole. Never returns
    ``text`` itself for a text with letters or digits.

    Examples
    --------
    >>> out = mutate_value("12.03.1985", np.random.default_rng(0))
    >>> out != "12.03.1985" and len(out) == 10
    True
    """
    if alternative and alternative != text and rng.random() < 0.4:
        return alternative
    positions = [i for i, c in enumerate(text) if c.isalnum()]
    if not positions:
        return text + "1"
    chars = list(text)
    n = min(len(positions), int(rng.integers(1, 4)))
    for i in rng.choice(positions, size=n, replace=False):
        c = chars[i]
        if c.isdigit():
            chars[i] = str((int(c) + int(rng.integers(1, 10))) % 10)
        else:
            pool = "ABCDEFGHIJKLMNOPRSTUVWYZ" if c.isupper() else "abcdefghijklmnoprstuvwyz"
            options = [p for p in pool if p != c.upper() and p != c]
            chars[i] = options[int(rng.integers(len(options)))]
    return "".join(chars)
