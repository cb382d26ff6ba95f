"""The service catalogue (services, text slots, entry points, forms), loaded from catalog.json,
and its patient-facing strings in Helsenorge's other languages, from translations.json.

Titles, standard texts, limits, forms and translations live in the JSON, never in Python, so
that the catalogue, or a new translation, can change without touching code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class ServiceSpec:
    code: str
    patient_title: str
    patient_lead: str
    absence_applies: bool
    main_entry_point: str


@dataclass(frozen=True)
class TextSlotSpec:
    code: str
    admin_title: str
    max_length: int
    service: str | None
    standard_text: str | None


@dataclass(frozen=True)
class EntryPointSpec:
    code: str
    admin_title: str
    patient_title: str
    service: str


@dataclass(frozen=True)
class FormSpec:
    id: str
    title: str
    kind: str
    standard: bool
    entry_points: tuple[str, ...]


DEFAULT_LANGUAGE = "NB"


class CatalogError(SystemExit):
    """The shipped catalogue cannot be used; the service refuses to start, saying why."""


@dataclass(frozen=True)
class LanguageSpec:
    """One of Helsenorge's languages. Only a translated one has its own strings; for NB they
    are catalog.json's, except the absence sentence and its date format."""

    code: str
    locale: str
    name: str
    translated: bool
    date_format: str = ""
    absence_message: str = ""
    # code → string, for each part of the catalogue that patients read.
    service_titles: dict[str, str] = field(default_factory=dict)
    service_leads: dict[str, str] = field(default_factory=dict)
    standard_texts: dict[str, str] = field(default_factory=dict)
    entry_point_titles: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Catalog:
    services: tuple[ServiceSpec, ...]
    text_slots: tuple[TextSlotSpec, ...]
    entry_points: tuple[EntryPointSpec, ...]
    forms: tuple[FormSpec, ...]
    languages: dict[str, LanguageSpec] = field(default_factory=dict)

    def shown_language(self, language: str) -> str:
        """`language` where it is translated; bokmål, as a whole, where it is not."""
        spec = self.languages.get(language)
        return language if spec is not None and spec.translated else DEFAULT_LANGUAGE

    def service_title(self, code: str, language: str) -> str:
        spec = self.languages.get(language)
        return (spec.service_titles if spec else {}).get(code) or self.service(code).patient_title

    def service_lead(self, code: str, language: str) -> str:
        spec = self.languages.get(language)
        return (spec.service_leads if spec else {}).get(code) or self.service(code).patient_lead

    def standard_text(self, slot: str, language: str) -> str | None:
        spec = self.languages.get(language)
        return (spec.standard_texts if spec else {}).get(slot) or self.text_slot(slot).standard_text

    def entry_point_title(self, code: str, language: str) -> str:
        spec = self.languages.get(language)
        titles = spec.entry_point_titles if spec else {}
        return titles.get(code) or self.entry_point(code).patient_title

    @cached_property
    def _by_code(self) -> dict[str, dict[str, Any]]:
        return {
            "service": {s.code: s for s in self.services},
            "slot": {t.code: t for t in self.text_slots},
            "entry_point": {e.code: e for e in self.entry_points},
            "form": {f.id: f for f in self.forms},
        }

    # Every patient read asks these for each entry point it shows: looked up, not searched.
    @cached_property
    def _by_place(self) -> dict[str, dict[str, Any]]:
        forms_at = {
            ep.code: tuple(form for form in self.forms if ep.code in form.entry_points)
            for ep in self.entry_points
        }
        return {
            "forms_at": forms_at,
            "default_form": {
                code: next((form for form in forms if form.standard), None)
                for code, forms in forms_at.items()
            },
            "slot_for_service": {
                s.code: next((t for t in self.text_slots if t.service == s.code), None)
                for s in self.services
            },
            "entry_points_of": {
                s.code: tuple(ep for ep in self.entry_points if ep.service == s.code)
                for s in self.services
            },
        }

    def service(self, code: str) -> ServiceSpec:
        return self._by_code["service"][code]

    def find_service(self, code: str) -> ServiceSpec | None:
        return self._by_code["service"].get(code)

    def text_slot(self, code: str) -> TextSlotSpec:
        return self._by_code["slot"][code]

    def entry_point(self, code: str) -> EntryPointSpec:
        return self._by_code["entry_point"][code]

    def form(self, form_id: str) -> FormSpec | None:
        return self._by_code["form"].get(form_id)

    def forms_at(self, entry_point: str) -> tuple[FormSpec, ...]:
        return self._by_place["forms_at"].get(entry_point, ())

    def default_form(self, entry_point: str) -> FormSpec | None:
        """The entry point's standard form, which applies until a practice chooses."""
        return self._by_place["default_form"].get(entry_point)

    def slot_for_service(self, service: str) -> TextSlotSpec | None:
        return self._by_place["slot_for_service"].get(service)

    def entry_points_of(self, service: str) -> tuple[EntryPointSpec, ...]:
        return self._by_place["entry_points_of"].get(service, ())


def parse_catalog(raw: dict[str, Any], translations: dict[str, Any] | None = None) -> Catalog:
    catalog = Catalog(
        services=tuple(
            ServiceSpec(
                code=s["code"],
                patient_title=s["patientTitle"],
                patient_lead=s["patientLead"],
                absence_applies=bool(s["absenceApplies"]),
                main_entry_point=s["mainEntryPoint"],
            )
            for s in raw["services"]
        ),
        text_slots=tuple(
            TextSlotSpec(
                code=t["code"],
                admin_title=t["adminTitle"],
                max_length=int(t["maxLength"]),
                service=t["service"],
                standard_text=t["standardText"],
            )
            for t in raw["textSlots"]
        ),
        entry_points=tuple(
            EntryPointSpec(
                code=e["code"],
                admin_title=e["adminTitle"],
                patient_title=e["patientTitle"],
                service=e["service"],
            )
            for e in raw["entryPoints"]
        ),
        forms=tuple(
            FormSpec(
                id=f["id"],
                title=f["title"],
                kind=f["kind"],
                standard=bool(f["standard"]),
                entry_points=tuple(f["entryPoints"]),
            )
            for f in raw["forms"]
        ),
    )
    if translations is None:
        return catalog
    languages = {
        code: parse_language(catalog, code, spec)
        for code, spec in translations["languages"].items()
    }
    return Catalog(
        services=catalog.services,
        text_slots=catalog.text_slots,
        entry_points=catalog.entry_points,
        forms=catalog.forms,
        languages=languages,
    )


def parse_language(catalog: Catalog, code: str, raw: dict[str, Any]) -> LanguageSpec:
    """A language marked translated must have every string patients read, or the service
    refuses to start naming what is missing: a half translation would mix languages."""
    if not raw.get("translated"):
        return LanguageSpec(code=code, locale=raw["locale"], name=raw["name"], translated=False)
    wanted = {
        "services": [s.code for s in catalog.services],
        "textSlots": [t.code for t in catalog.text_slots if t.standard_text],
        "entryPoints": [e.code for e in catalog.entry_points],
    }
    # Bokmål's titles and texts are catalog.json's own.
    if code == DEFAULT_LANGUAGE:
        wanted = {part: [] for part in wanted}
    strings: dict[str, dict[str, dict[str, str]]] = {part: raw.get(part) or {} for part in wanted}
    fields = {
        "services": ("patientTitle", "patientLead"),
        "textSlots": ("standardText",),
        "entryPoints": ("patientTitle",),
    }
    missing = [name for name in ("locale", "dateFormat", "absenceMessage") if not raw.get(name)]
    if "{date}" not in raw.get("absenceMessage", "{date}"):
        missing.append("absenceMessage med {date}")
    for part, codes in wanted.items():
        for item in codes:
            for name in fields[part]:
                if not (strings[part].get(item) or {}).get(name):
                    missing.append(f"{part}.{item}.{name}")
    if missing:
        raise CatalogError(
            f"Oversettelsen {code} ({raw.get('name', code)}) i translations.json er merket "
            f"som oversatt, men mangler: {', '.join(missing)}."
        )
    return LanguageSpec(
        code=code,
        locale=raw["locale"],
        name=raw["name"],
        translated=True,
        date_format=raw["dateFormat"],
        absence_message=raw["absenceMessage"],
        service_titles={k: v["patientTitle"] for k, v in strings["services"].items()},
        service_leads={k: v["patientLead"] for k, v in strings["services"].items()},
        standard_texts={k: v["standardText"] for k, v in strings["textSlots"].items()},
        entry_point_titles={k: v["patientTitle"] for k, v in strings["entryPoints"].items()},
    )


@cache
def load_catalog() -> Catalog:
    """The catalogue and its translations shipped with the package; read once per process."""
    folder = resources.files("models")
    catalog = json.loads(folder.joinpath("catalog.json").read_text(encoding="utf-8"))
    translations = json.loads(folder.joinpath("translations.json").read_text(encoding="utf-8"))
    return parse_catalog(catalog, translations)
