"""The service catalogue (services, text slots, entry points, forms), loaded from catalog.json.

Titles, standard texts, limits and forms live in the JSON, never in Python, so that the
catalogue can change without touching code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Catalog:
    services: tuple[ServiceSpec, ...]
    text_slots: tuple[TextSlotSpec, ...]
    entry_points: tuple[EntryPointSpec, ...]
    forms: tuple[FormSpec, ...]

    @cached_property
    def _by_code(self) -> dict[str, dict[str, Any]]:
        return {
            "service": {s.code: s for s in self.services},
            "slot": {t.code: t for t in self.text_slots},
            "entry_point": {e.code: e for e in self.entry_points},
            "form": {f.id: f for f in self.forms},
        }

    def service(self, code: str) -> ServiceSpec:
        return self._by_code["service"][code]

    def text_slot(self, code: str) -> TextSlotSpec:
        return self._by_code["slot"][code]

    def entry_point(self, code: str) -> EntryPointSpec:
        return self._by_code["entry_point"][code]

    def form(self, form_id: str) -> FormSpec | None:
        return self._by_code["form"].get(form_id)

    def forms_at(self, entry_point: str) -> tuple[FormSpec, ...]:
        return tuple(form for form in self.forms if entry_point in form.entry_points)

    def default_form(self, entry_point: str) -> FormSpec | None:
        """The entry point's standard form, which applies until a practice chooses."""
        return next((form for form in self.forms_at(entry_point) if form.standard), None)

    def slot_for_service(self, service: str) -> TextSlotSpec | None:
        return next((slot for slot in self.text_slots if slot.service == service), None)

    def entry_points_of(self, service: str) -> tuple[EntryPointSpec, ...]:
        return tuple(ep for ep in self.entry_points if ep.service == service)


def parse_catalog(raw: dict[str, Any]) -> Catalog:
    return Catalog(
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


@cache
def load_catalog() -> Catalog:
    """The catalogue shipped with the package; read once per process."""
    text = resources.files("models").joinpath("catalog.json").read_text(encoding="utf-8")
    return parse_catalog(json.loads(text))
