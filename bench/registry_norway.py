"""Times `tilpass sync-registry` on a FHIR R4 Bundle the size of all of Norway.

    .venv/bin/python bench/registry_norway.py [--practices 1800] [--practitioners 5000]
        [--databases sqlite,postgresql] [--write-bundle PATH] [--runs 1] [--seed 2024]

Generates one deterministic Bundle (type collection; seeded random, dates relative to
today in Europe/Oslo): by default 1,800 GP practices (Organization), 5,000 GPs
(Practitioner) and about 8,200 PractitionerRoles, about 15,000 resources. Every GP has a
current role; about 15 % also work at a second practice; about 44 % have an ended role at
an earlier practice (registers keep the history); a few roles start in the future, a few
are inactive; a few practitioners and practices are inactive. References are mostly
`Type/id`, some by `fullUrl`, some logical (by HER-id or HPR number). A sample of the
resources is validated against the fhir.resources R4B models, and every reference, HER-id,
HPR number and organisation number is checked, before anything is timed.

For each database (SQLite in a temporary folder; PostgreSQL in a database created for the
run on 127.0.0.1:5432 and dropped afterwards) the bench runs, as subprocesses:
  1. `tilpass token --hpr 1000000`, which brings the schema up to date: the migrations
     are timed apart from the first sync, which therefore excludes them;
  2. the same command again, migrated: the bare cost of starting a command;
  3. `tilpass sync-registry FILE` on the empty database (first sync);
  4. the same file again (unchanged repeat; it should write nothing);
  5. a copy in which 20 current roles have ended and 5 practices are renamed.
Each child runs with no TILPASS_* setting but the database URL (and TILPASS_ENV=development),
so that the figures are those of the defaults. Prints a Markdown table of wall-clock
seconds and each child's peak RSS (ru_maxrss from wait4), the commands, and the targets
of DOMAIN.md for the embedded default (first sync within a minute, unchanged repeat within
half that; the small change is held to the same 30 s), which it prints and never asserts.
With `--runs N` the five steps run N times, each time on a fresh database, and the table
shows the median seconds and the highest RSS. `--databases none` only generates, checks
and (with --write-bundle) writes the bundle; the changed copy goes beside it as
`<name>.changed.json`.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

PROJECT = Path(__file__).resolve().parent.parent
TILPASS = PROJECT / ".venv" / "bin" / "tilpass"

HER_SYSTEM = "urn:oid:2.16.578.1.12.4.1.2"
HPR_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.4"
ORG_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.101"
PROFILE = "http://hl7.no/fhir/StructureDefinition/no-basis-{}"
# A made-up server base: fullUrls of this form look like a real search result without
# pretending to be Norsk helsenett's address.
BASE = "https://register.example.no/fhir"
OSLO = ZoneInfo("Europe/Oslo")
ORG_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)
MIGRATE_HPR = 1_000_000

# Shares of the practitioners that get each kind of extra role; with the one current role
# every GP has, 5,000 GPs give about 8,200 roles.
SECOND_PRACTICE, ENDED_EARLIER, FUTURE_START, INACTIVE_ROLE = 0.15, 0.44, 0.03, 0.02
RETIRED, INACTIVE_PRACTITIONER, INACTIVE_PRACTICE, NO_ORG_NUMBER = 0.01, 0.005, 0.005, 0.01
# Reference styles of a role's practitioner and organization: mostly `Type/id`.
REFERENCE_STYLES = (("type-id", 0.85), ("full-url", 0.10), ("identifier", 0.05))
ENDED_IN_CHANGE, RENAMED_IN_CHANGE = 20, 5
TARGETS = {"first sync": 60.0, "unchanged repeat": 30.0, "repeat after small change": 30.0}

PLACES = """
Grünerløkka Majorstuen Frogner Grorud Furuset Holmlia Bøler Lambertseter Nydalen Sagene
Tøyen Manglerud Ullevål Storo Stovner Romsås Ellingsrud Bergen Fyllingsdalen Laksevåg Åsane
Loddefjord Nesttun Trondheim Heimdal Byåsen Lade Moholt Stavanger Madla Hinna Hundvåg Drammen
Fredrikstad Kristiansand Vågsbygd Sandnes Tromsø Kroken Sarpsborg Skien Ålesund Sandefjord
Haugesund Tønsberg Moss Porsgrunn Bodø Arendal Hamar Larvik Halden Lillehammer Harstad Molde
Kongsberg Gjøvik Horten Ski Kristiansund Jessheim Elverum Alta Leirvik Narvik Askøy Grimstad
Steinkjer Råholt Bryne Kongsvinger Egersund Levanger Førde Florø Namsos Mosjøen Notodden
Lyngdal Mandal Flekkefjord Farsund Brumunddal Raufoss Hønefoss Jevnaker Gol Geilo Nesbyen
Fagernes Otta Dombås Lom Vågå Tynset Røros Oppdal Orkanger Stjørdal Verdal Melhus Støren
Brekstad Sunndalsøra Åndalsnes Ørsta Volda Stryn Sogndal Lærdal Voss Odda Stord Husnes Sauda
Kopervik Åkrehamn Jørpeland Tau Hommersåk Klepp Nærbø Varhaug Vennesla Lillesand Tvedestrand
Risør Kragerø Seljord Rjukan Kviteseid Vinje Rena Trysil Eidsvoll Lillestrøm Strømmen
Lørenskog Kolbotn Nesodden Drøbak Ås Vestby Askim Mysen Rakkestad Sandvika Asker Stabekk
Lysaker Bekkestua Nittedal Finnsnes Sortland Svolvær Leknes Stokmarknes Andenes Fauske
Sandnessjøen Brønnøysund Vadsø Vardø Kirkenes Hammerfest Honningsvåg Lakselv Karasjok
Kautokeino Longyearbyen Stokke Nøtterøy Tjøme Holmestrand Lier Mjøndalen Hokksund Vikersund
Spydeberg Hvaler Aurskog Bjørkelangen Sørumsand Kløfta Gardermoen Hurdal Nannestad Moelv
Skreia Dokka Bagn Hemsedal Ål Nes Flå Kongsvik Bardu Setermoen Storslett Skjervøy Lyngseidet
Sjøvegan Evenes Lødingen Ballangen Bjerkvik Ulsteinvik Fosnavåg Hareid Sykkylven Stranda
Valldal Vestnes Eide Averøy Surnadal Hitra Frøya Selbu Meråker Snåsa Grong Kolvereid Vikna
""".split()
STREETS = """
Storgata Kirkegata Torggata Strandgata Jernbanegata Parkveien Skolegata Elvegata Fjordgata
Sjøgata Torget Bryggen Brugata Kongsgata Dronningensgate Nygata Prestegata Sentrumsgården
""".split()
DISTRICTS = ("Nord", "Sør", "Øst", "Vest", "Sentrum", "Syd", "Øvre", "Nedre")
FEMALE = """
Anne Inger Kari Marit Ingrid Liv Eva Berit Astrid Bjørg Hilde Anna Solveig Marianne Randi Ida
Nina Maria Elisabeth Kristin Silje Ingvild Ragnhild Tone Hanne Camilla Ingeborg Nora Emma Sara
Thea Maja Sigrid Guro Tuva Helene Mette Kjersti Siri Åse Grethe Torunn Unni Vigdis Gro Heidi
Line Linn Mari Karoline Julie Frida Synnøve Agnieszka Fatima Aisha Linh Katarzyna
""".split()
MALE = """
Jan Per Bjørn Ole Lars Kjell Knut Arne Svein Thomas Hans Geir Tor Morten Terje Odd Martin Erik
Andreas Rune Trond Harald Anders Espen Jon Magnus Kristian Henrik Eirik Sindre Håkon Sigurd
Øystein Jørgen Ståle Vegard Torbjørn Audun Halvard Even Sverre Einar Gunnar Olav Stian Petter
Jonas Mathias Emil Fredrik Ahmed Mohammad Piotr Tomasz Johan Ali Duc
""".split()
FAMILY = """
Hansen Johansen Olsen Larsen Andersen Pedersen Nilsen Kristiansen Jensen Karlsen Johnsen
Pettersen Eriksen Berg Haugen Hagen Johannessen Andreassen Jacobsen Dahl Jørgensen Halvorsen
Henriksen Lund Sørensen Jakobsen Moen Gundersen Iversen Strand Solberg Svendsen Eide Knutsen
Martinsen Paulsen Bakken Kristoffersen Mathisen Lie Amundsen Rasmussen Lunde Solheim Berntsen
Moe Kristensen Bakke Holm Haugland Myhre Ødegård Aasen Kvam Hovland Nygård Tangen Fossum Sæther
Bråthen Brekke Vik Aune Lien Ruud Berge Tveit Hauge Fjeld Rønning Bjørnstad Løken Mikkelsen
Thorsen Grønlund Øverland Skaar Sandvik Rød Helland Aas Andersson Johansson Lindqvist Müller
Schmidt Nowak Kowalski Wiśniewski Nguyen Tran Khan Hussain Ali Ahmed Rahman Haddad Farah
Yilmaz Mohammadi
""".split()


def org_number(rng: random.Random) -> str:
    """A valid organisation number: 8 or 9 first (as for organisations), mod-11 check digit;
    a draw whose check digit would be 10 is invalid and drawn again."""
    while True:
        digits = [rng.choice((8, 9))] + [rng.randrange(10) for _ in range(7)]
        check = 11 - sum(w * d for w, d in zip(ORG_WEIGHTS, digits, strict=True)) % 11
        if check == 10:
            continue
        return "".join(map(str, digits)) + str(0 if check == 11 else check)


def org_number_valid(text: str) -> bool:
    if len(text) != 9 or not text.isdigit():
        return False
    check = 11 - sum(w * int(d) for w, d in zip(ORG_WEIGHTS, text, strict=False)) % 11
    return check != 10 and int(text[8]) == (0 if check == 11 else check)


def practice_names(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """(name, town) pairs, names unique (readable in a --dry-run list); mostly
    "<Place> legesenter"."""
    templates = (
        ("{place} legesenter", 55),
        ("{place} legekontor", 15),
        ("{street} legesenter", 10),
        ("Legegruppen {place}", 6),
        ("{place} helsesenter", 5),
        ("Fastlegene i {place}", 5),
        ("Legesenteret i {place}", 4),
    )
    forms, weights = zip(*templates, strict=True)
    names: list[tuple[str, str]] = []
    seen: set[str] = set()
    for _ in range(count):
        for attempt in range(50):
            place = rng.choice(PLACES)
            name = rng.choices(forms, weights)[0].format(place=place, street=rng.choice(STREETS))
            if attempt >= 10:
                # Large towns have several: "Bergen legesenter Nord".
                name = f"{name} {rng.choice(DISTRICTS)}"
            if name not in seen:
                break
        else:
            name = f"{place} legesenter {len(names)}"
        seen.add(name)
        names.append((name, place))
    return names


def human_name(rng: random.Random) -> list[dict[str, Any]]:
    """HumanName list: mostly one official name; some with two given names or a double
    family name; a few with a `usual` name first (the official one must still win)."""
    names = FEMALE if rng.random() < 0.55 else MALE
    given = rng.sample(names, 2 if rng.random() < 0.2 else 1)
    family = rng.choice(FAMILY)
    if rng.random() < 0.08:
        family = f"{rng.choice(FAMILY)} {family}"
    official: dict[str, Any] = {"use": "official", "family": family, "given": given}
    if rng.random() < 0.1:
        official["text"] = f"{' '.join(given)} {family}"
    if rng.random() < 0.05:
        return [{"use": "usual", "family": family, "given": given[:1]}, official]
    return [official]


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _bool(rng: random.Random, share: float) -> bool:
    return rng.random() < share


@dataclass
class Stats:
    """What the generator made, to print beside the timings."""

    resources: Counter[str] = field(default_factory=Counter)
    roles: Counter[str] = field(default_factory=Counter)
    references: Counter[str] = field(default_factory=Counter)


def norway_bundle(
    practices: int = 1_800,
    practitioners: int = 5_000,
    *,
    seed: int = 2024,
    today: date | None = None,
    stats: Stats | None = None,
) -> dict[str, Any]:
    """One FHIR R4 Bundle (type collection) with all of Norway's GP practices, GPs and their
    roles; the same for the same arguments (dates are relative to `today`, Oslo's today by
    default)."""
    if practices < 2:
        raise ValueError("at least two practices (a second practice must differ)")
    rng = random.Random(seed)
    today = today or datetime.now(OSLO).date()
    stats = stats if stats is not None else Stats()
    entries: list[dict[str, Any]] = []

    def entry(resource: dict[str, Any]) -> dict[str, Any]:
        kind, rid = resource["resourceType"], resource["id"]
        # Some servers give urn:uuid fullUrls (then the id is the same uuid), most an
        # absolute URL: both must resolve.
        full_url = f"urn:uuid:{rid}" if _bool(rng, 0.3) else f"{BASE}/{kind}/{rid}"
        entries.append({"fullUrl": full_url, "resource": resource})
        stats.resources[kind] += 1
        return entries[-1]

    orgs: list[dict[str, Any]] = []
    her_ids = rng.sample(range(80_000, 9_999_999), practices)
    used_org_numbers: set[str] = set()
    for her_id, (name, town) in zip(her_ids, practice_names(rng, practices), strict=True):
        identifiers = [{"use": "official", "system": HER_SYSTEM, "value": str(her_id)}]
        if not _bool(rng, NO_ORG_NUMBER):
            number = org_number(rng)
            while number in used_org_numbers:
                number = org_number(rng)
            used_org_numbers.add(number)
            identifiers.insert(0, {"use": "official", "system": ORG_SYSTEM, "value": number})
        resource = {
            "resourceType": "Organization",
            "id": _uuid(rng),
            "meta": {"profile": [PROFILE.format("Organization")]},
            "identifier": identifiers,
            "active": not _bool(rng, INACTIVE_PRACTICE),
            "name": name,
            "telecom": [
                {
                    "system": "phone",
                    "value": f"+47 {rng.randrange(20, 80)} "
                    f"{rng.randrange(10, 100)} {rng.randrange(10, 100)} {rng.randrange(10, 100)}",
                    "use": "work",
                }
            ],
            "address": [
                {
                    "use": "work",
                    "type": "both",
                    "line": [f"{rng.choice(STREETS)} {rng.randrange(1, 120)}"],
                    "postalCode": f"{rng.randrange(1, 9999):04d}",
                    "city": town,
                    "country": "NO",
                }
            ],
        }
        orgs.append(entry(resource))

    people: list[dict[str, Any]] = []
    hprs = rng.sample(range(1_000_001, 29_999_999), practitioners)
    # A few nine-digit HPR numbers too (7–9 digits are valid); unique by construction as
    # the sample above stays below 30,000,000.
    for position in rng.sample(range(practitioners), max(1, practitioners // 100)):
        hprs[position] = 100_000_000 + hprs[position]
    for hpr in hprs:
        resource = {
            "resourceType": "Practitioner",
            "id": _uuid(rng),
            "meta": {"profile": [PROFILE.format("Practitioner")]},
            "identifier": [{"use": "official", "system": HPR_SYSTEM, "value": str(hpr)}],
            "active": not _bool(rng, INACTIVE_PRACTITIONER),
            "name": human_name(rng),
            "gender": rng.choice(("female", "male")),
        }
        people.append(entry(resource))

    def reference(target: dict[str, Any]) -> dict[str, Any]:
        resource = target["resource"]
        style = rng.choices(*zip(*REFERENCE_STYLES, strict=True))[0]
        stats.references[style] += 1
        if style == "full-url":
            return {"reference": target["fullUrl"]}
        if style == "identifier":
            system = HER_SYSTEM if resource["resourceType"] == "Organization" else HPR_SYSTEM
            value = next(i["value"] for i in resource["identifier"] if i["system"] == system)
            return {
                "type": resource["resourceType"],
                "identifier": {"system": system, "value": value},
            }
        return {"reference": f"{resource['resourceType']}/{resource['id']}"}

    def day(offset: int) -> str:
        return (today + timedelta(days=offset)).isoformat()

    def role(person: dict[str, Any], org: dict[str, Any], kind: str, **extra: Any) -> None:
        resource = {
            "resourceType": "PractitionerRole",
            "id": _uuid(rng),
            "meta": {"profile": [PROFILE.format("PractitionerRole")]},
            "active": True,
            "practitioner": reference(person),
            "organization": reference(org),
            "code": [{"text": "Fastlege"}],
            **extra,
        }
        stats.roles[kind] += 1
        entry(resource)

    def other(home: dict[str, Any]) -> dict[str, Any]:
        """Another practice than the GP's current one."""
        while (org := rng.choice(orgs)) is home:
            pass
        return org

    # Every practice gets one GP before the rest are spread, some practices drawing more:
    # many with two or three GPs, a few legesentre with fifteen or more.
    weights = [rng.lognormvariate(0, 0.7) for _ in orgs]
    homes = [orgs[n % len(orgs)] for n in range(min(len(people), len(orgs)))]
    homes += rng.choices(orgs, weights, k=len(people) - len(homes))
    rng.shuffle(homes)
    for person, home in zip(people, homes, strict=True):
        started = -rng.randrange(30, 30 * 365)
        if _bool(rng, RETIRED):
            # Retired: the one role has ended, at least three days ago, so that a bench run
            # across midnight sees the same (every date here keeps that distance from today).
            role(
                person,
                home,
                "ended",
                period={"start": day(started), "end": day(-rng.randrange(3, 700))},
            )
        else:
            period = {"start": day(started)}
            if _bool(rng, 0.02):
                period["end"] = day(rng.randrange(30, 400))  # a known end, still in force
            role(person, home, "current", period=period)

        if _bool(rng, SECOND_PRACTICE):
            role(
                person,
                other(home),
                "second practice",
                period={"start": day(-rng.randrange(30, 3000))},
            )
        if _bool(rng, ENDED_EARLIER):
            end = -rng.randrange(3, 20 * 365)
            role(
                person,
                other(home),
                "ended",
                period={"start": day(end - rng.randrange(180, 20 * 365)), "end": day(end)},
            )
        if _bool(rng, FUTURE_START):
            role(person, other(home), "future start", period={"start": day(rng.randrange(3, 120))})
        if _bool(rng, INACTIVE_ROLE):
            role(
                person,
                other(home),
                "inactive",
                active=False,
                period={"start": day(-rng.randrange(30, 900))},
            )

    # Made at six in the morning, Oslo time: a fixed instant, so the same day gives the same
    # bundle.
    made = datetime(today.year, today.month, today.day, 6, tzinfo=OSLO).isoformat()
    return {
        "resourceType": "Bundle",
        "id": _uuid(rng),
        "meta": {"lastUpdated": made},
        "type": "collection",
        "timestamp": made,
        "entry": entries,
    }


def resolver(entries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every resource by fullUrl, by `Type/id` and by `system|value` of its HER-id or HPR
    number: what a role's references may name."""
    found: dict[str, dict[str, Any]] = {}
    for e in entries:
        resource = e["resource"]
        found[e["fullUrl"]] = found[f"{resource['resourceType']}/{resource['id']}"] = resource
        for identifier in resource.get("identifier", []):
            if identifier["system"] in (HER_SYSTEM, HPR_SYSTEM):
                found[f"{identifier['system']}|{identifier['value']}"] = resource
    return found


def resolve(found: dict[str, dict[str, Any]], ref: dict[str, Any]) -> dict[str, Any] | None:
    if "reference" in ref:
        return found.get(ref["reference"])
    return found.get(f"{ref['identifier']['system']}|{ref['identifier']['value']}")


def changed_bundle(bundle: dict[str, Any], *, today: date, seed: int = 7) -> dict[str, Any]:
    """A copy with ENDED_IN_CHANGE roles in force ended yesterday (of active GPs at active
    practices, so that each ends an affiliation) and RENAMED_IN_CHANGE active practices
    renamed: a day's worth of changes."""
    rng = random.Random(seed)
    changed = copy.deepcopy(bundle)
    found = resolver(changed["entry"])
    resources = [e["resource"] for e in changed["entry"]]
    orgs = [r for r in resources if r["resourceType"] == "Organization" and r["active"]]
    # No GP has two roles in force at one practice (the generator puts the second elsewhere),
    # so ending one of these roles always ends an affiliation.
    in_force = [
        r
        for r in resources
        if r["resourceType"] == "PractitionerRole"
        and r["active"]
        and "end" not in r["period"]
        and r["period"]["start"] < today.isoformat()
        and all(
            (resolve(found, r[slot]) or {}).get("active")
            for slot in ("practitioner", "organization")
        )
    ]
    for resource in rng.sample(in_force, ENDED_IN_CHANGE):
        resource["period"]["end"] = (today - timedelta(days=1)).isoformat()
    for resource in rng.sample(orgs, RENAMED_IN_CHANGE):
        resource["name"] = f"{resource['name']} AS"
    return changed


def check(bundle: dict[str, Any], *, sample: int = 150, seed: int = 1) -> str:
    """Refuses a bundle the sync would rightly refuse: a sample validated against the R4B
    models (each resource, and a Bundle of them), and every identifier and reference checked
    in full; returns a line saying what was checked."""
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.organization import Organization
    from fhir.resources.R4B.practitioner import Practitioner
    from fhir.resources.R4B.practitionerrole import PractitionerRole

    models = {"Organization": Organization, "Practitioner": Practitioner}
    models["PractitionerRole"] = PractitionerRole
    entries = bundle["entry"]
    rng = random.Random(seed)
    chosen: list[dict[str, Any]] = []
    for kind in models:
        of_kind = [e for e in entries if e["resource"]["resourceType"] == kind]
        # The rarer cases (inactive, ended, logical references) are sure to be in the sample.
        rare = [
            e
            for e in of_kind
            if e["resource"].get("active") is False
            or "end" in e["resource"].get("period", {})
            or "identifier" in e["resource"].get("practitioner", {})
            or len(e["resource"].get("name", [])) > 1
        ][:sample]
        chosen += rare + rng.sample(of_kind, min(sample, len(of_kind)))
    for e in chosen:
        models[e["resource"]["resourceType"]].model_validate(e["resource"])
    Bundle.model_validate({**bundle, "entry": chosen})

    keys: set[str] = set()
    her_ids: set[str] = set()
    hprs: set[str] = set()
    org_numbers: set[str] = set()
    for e in entries:
        resource = e["resource"]
        for key in (e["fullUrl"], f"{resource['resourceType']}/{resource['id']}"):
            assert key not in keys, f"two entries are {key}"
            keys.add(key)
        for identifier in resource.get("identifier", []):
            system, value = identifier["system"], identifier["value"]
            if system == HER_SYSTEM:
                assert value.isdigit() and int(value) > 0 and value not in her_ids, value
                her_ids.add(value)
            elif system == HPR_SYSTEM:
                assert value.isdigit() and 7 <= len(value) <= 9 and value not in hprs, value
                hprs.add(value)
            elif system == ORG_SYSTEM:
                assert org_number_valid(value) and value not in org_numbers, value
                org_numbers.add(value)
    orgs = sum(1 for e in entries if e["resource"]["resourceType"] == "Organization")
    assert len(her_ids) == orgs, "every Organization needs a HER-id"
    found = resolver(entries)
    for e in entries:
        resource = e["resource"]
        if resource["resourceType"] != "PractitionerRole":
            continue
        for slot, kind in (("practitioner", "Practitioner"), ("organization", "Organization")):
            target = resolve(found, resource[slot])
            assert target is not None and target["resourceType"] == kind, (e["fullUrl"], slot)
    return (
        f"checked: {len(chosen)} resources against the R4B models; {len(her_ids)} HER-ids, "
        f"{len(hprs)} HPR numbers, {len(org_numbers)} organisation numbers and every reference"
    )


def write_json(bundle: dict[str, Any], path: Path) -> float:
    """Writes the bundle; returns its size in MB."""
    path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    return path.stat().st_size / 1e6


@dataclass
class Result:
    database: str
    step: str
    seconds: float
    peak_rss_mb: float
    status: int
    command: str
    summary: str


def run_command(args: list[str], database_url: str, log: Path) -> tuple[float, float, int, str]:
    """Runs one tilpass command; returns (wall seconds, the child's peak RSS in MB, exit
    status, its output's last lines). wait4 gives the rusage of exactly this child, where
    RUSAGE_CHILDREN would report the highest of all children so far."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TILPASS_")}
    env |= {"TILPASS_DATABASE_URL": database_url, "TILPASS_ENV": "development"}
    with log.open("wb") as out:
        started = time.perf_counter()
        child = subprocess.Popen(
            [str(TILPASS), *args], stdout=out, stderr=subprocess.STDOUT, env=env
        )
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)  # already reaped: Popen must not wait
    # The command's own words, not its JSON log lines.
    lines = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    said = [line for line in lines if not line.startswith("{")] or lines
    # ru_maxrss is in kilobytes on Linux.
    return seconds, usage.ru_maxrss / 1024, child.returncode, " / ".join(said[-2:])


async def _postgres(admin_url: str, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def sequence(database: str, url: str, files: dict[str, Path], folder: Path) -> list[Result]:
    steps = [
        ("migrate (token)", ["token", "--hpr", str(MIGRATE_HPR)]),
        ("startup (token, migrated)", ["token", "--hpr", str(MIGRATE_HPR)]),
        ("first sync", ["sync-registry", str(files["bundle"])]),
        ("unchanged repeat", ["sync-registry", str(files["bundle"])]),
        ("repeat after small change", ["sync-registry", str(files["changed"])]),
    ]
    results = []
    for n, (step, args) in enumerate(steps):
        seconds, rss, status, summary = run_command(args, url, folder / f"{database}-{n}.log")
        if args[0] == "token" and status == 0:
            summary = "(token)"  # the token itself is of no interest, and a secret of sorts
        results.append(
            Result(database, step, seconds, rss, status, f"tilpass {' '.join(args)}", summary)
        )
        if status != 0:
            break  # the later steps would measure the failure, not the sync
    return results


def bench_database(
    database: str, files: dict[str, Path], folder: Path, admin_url: str
) -> list[Result]:
    if database == "sqlite":
        where = Path(tempfile.mkdtemp(prefix="sqlite-", dir=folder))
        return sequence(database, f"sqlite+aiosqlite:///{where / 'tilpass.db'}", files, folder)
    if database == "postgresql":
        name = f"tilpass_registry_bench_{os.getpid()}_{random.randrange(10**6)}"
        host = admin_url.rsplit("/", 1)[0].split("://", 1)[1]
        asyncio.run(_postgres(admin_url, f'CREATE DATABASE "{name}"'))
        try:
            return sequence(database, f"postgresql+asyncpg://{host}/{name}", files, folder)
        finally:
            asyncio.run(_postgres(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    raise SystemExit(f"unknown database {database!r} (sqlite, postgresql or none)")


def sync_registry_exists() -> bool:
    found = subprocess.run(
        [str(TILPASS), "sync-registry", "--help"], capture_output=True, check=False, cwd=PROJECT
    )
    return found.returncode == 0


def table(results: list[Result], runs: int) -> str:
    rows = [
        "| database | run | seconds | peak RSS MB | target | exit |"
        + (" all runs (s) |" if runs > 1 else ""),
        "|---|---|---:|---:|---|---:|" + ("---|" if runs > 1 else ""),
    ]
    keys = list(dict.fromkeys((r.database, r.step) for r in results))
    for database, step in keys:
        mine = [r for r in results if (r.database, r.step) == (database, step)]
        seconds = statistics.median(r.seconds for r in mine)
        rss = max(r.peak_rss_mb for r in mine)
        target = TARGETS.get(step) if database == "sqlite" else None
        verdict = f"≤ {target:.0f} s {'met' if seconds <= target else 'MISSED'}" if target else ""
        status = ",".join(sorted({str(r.status) for r in mine}))
        row = f"| {database} | {step} | {seconds:.2f} | {rss:.0f} | {verdict} | {status} |"
        if runs > 1:
            row += " " + ", ".join(f"{r.seconds:.2f}" for r in mine) + " |"
        rows.append(row)
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--practices", type=int, default=1_800)
    parser.add_argument("--practitioners", type=int, default=5_000)
    parser.add_argument("--databases", default="sqlite,postgresql", help="or none")
    parser.add_argument("--write-bundle", type=Path, help="also write the bundle here")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument(
        "--postgres-admin-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="where to create and drop the bench's database",
    )
    args = parser.parse_args()
    databases = [d for d in args.databases.split(",") if d and d != "none"]

    today = datetime.now(OSLO).date()
    stats = Stats()
    started = time.perf_counter()
    bundle = norway_bundle(
        args.practices, args.practitioners, seed=args.seed, today=today, stats=stats
    )
    changed = changed_bundle(bundle, today=today)
    generated = time.perf_counter() - started
    started = time.perf_counter()
    checked = check(bundle)
    check(changed)
    print(
        f"generated {sum(stats.resources.values())} resources in {generated:.1f} s "
        f"({dict(stats.resources)}); roles {dict(stats.roles)}; references "
        f"{dict(stats.references)}\n{checked} ({time.perf_counter() - started:.1f} s)"
    )

    folder = Path(tempfile.mkdtemp(prefix="tilpass-registry-bench-"))
    try:
        files = {"bundle": folder / "norway.json", "changed": folder / "norway.changed.json"}
        if args.write_bundle:
            args.write_bundle.parent.mkdir(parents=True, exist_ok=True)
            files["bundle"] = args.write_bundle
            files["changed"] = args.write_bundle.with_name(f"{args.write_bundle.stem}.changed.json")
        size = write_json(bundle, files["bundle"])
        write_json(changed, files["changed"])
        print(f"bundle: {files['bundle']} ({size:.1f} MB); changed copy: {files['changed']}")
        if not databases:
            return 0
        if not sync_registry_exists():
            print("`tilpass sync-registry` does not exist yet: nothing to time.", file=sys.stderr)
            return 2

        passes = [
            [
                r
                for d in databases
                for r in bench_database(d, files, folder, args.postgres_admin_url)
            ]
            for _ in range(args.runs)
        ]
        results = [r for one in passes for r in one]
        print()
        print(table(results, args.runs))
        print()
        print("Commands (TILPASS_DATABASE_URL set per database; last lines of their output):")
        for r in passes[0]:
            print(f"- {r.database}, {r.step}: `{r.command}` → {r.summary}")
        return 0 if all(r.status == 0 for r in results) else 1
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
