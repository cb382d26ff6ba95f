"""The patient side: patientService and patientPanel merge texts, forms and absences."""

from datetime import date, time

from tests.conftest import (
    ASTRID,
    FJORDBYEN,
    JACOB,
    KRISTIAN,
    STORGATA,
    STRANGER,
    TODAY,
    add_absence,
    choose_form,
    save_texts,
)

PATIENT_SERVICE = """
query PatientService($herId: Int!, $service: Service!, $hpr: Int, $on: Date) {
  patientService(herId: $herId, service: $service, practitionerHpr: $hpr, on: $on) {
    service title offered available standardText practiceText
    form { id }
    entryPoints { entryPoint title form { id } }
    absence { from to returnsOn message }
  }
}
"""

PATIENT_PANEL = """
query PatientPanel($herId: Int!, $hpr: Int, $on: Date) {
  patientPanel(herId: $herId, practitionerHpr: $hpr, on: $on) {
    practice { herId name }
    panelText
    services { service offered available form { id } absence { from to returnsOn message } }
  }
}
"""

RESEPT_STANDARD = (
    "Be om å få fornyet en eller flere resepter. Merk at meldingen kan bli lest av andre ved "
    "legekontoret enn fastlegen. Du vil bli kontaktet senest innen fem arbeidsdager."
)
E_KONSULTASJON_STANDARD = (
    "Slik fungerer det\n- Still et medisinsk spørsmål til fastlegen din.\n- Ved fravær kan "
    "meldingen bli lest og besvart av annet helsepersonell ved legekontoret.\n- Du vil bli "
    "kontaktet senest innen 5 arbeidsdager.\n- Du betaler samme egenandel som ved vanlig "
    "legetime."
)


async def service_view(
    api, her_id: int, service: str, *, hpr: int | None = None, on: date | None = None
) -> dict | None:
    """patientService, asked without a token."""
    variables = {"herId": her_id, "service": service, "hpr": hpr}
    if on is not None:
        variables["on"] = on.isoformat()
    return (await api.data(PATIENT_SERVICE, variables))["patientService"]


async def panel_view(
    api, her_id: int, *, hpr: int | None = None, on: date | None = None
) -> dict | None:
    """patientPanel, asked without a token."""
    variables = {"herId": her_id, "hpr": hpr}
    if on is not None:
        variables["on"] = on.isoformat()
    return (await api.data(PATIENT_PANEL, variables))["patientPanel"]


def by_service(panel: dict) -> dict[str, dict]:
    return {s["service"]: s for s in panel["services"]}


def notice(start: str, end: str, returns_on: str) -> dict:
    return {"from": start, "to": end, "returnsOn": returns_on}


def dates_of(view: dict) -> dict | None:
    absence = view["absence"]
    if absence is None:
        return None
    return {k: absence[k] for k in ("from", "to", "returnsOn")}


# --- access ---------------------------------------------------------------------------------


async def test_patient_queries_need_no_token(api):
    # Given no Authorization header at all
    # When the patient page asks for a service and the panel
    service = await api.post(PATIENT_SERVICE, {"herId": STORGATA, "service": "RESEPTFORNYELSE"})
    panel = await api.post(PATIENT_PANEL, {"herId": STORGATA})
    # Then both answer, without errors
    assert "errors" not in service
    assert "errors" not in panel
    assert service["data"]["patientService"]["service"] == "RESEPTFORNYELSE"
    assert panel["data"]["patientPanel"]["practice"]["herId"] == STORGATA


async def test_unknown_practice_is_null(api):
    # Given a herId that is not in the registry
    unknown = 9999999
    # When the patient page asks for it
    # Then both queries answer null (no error)
    assert await service_view(api, unknown, "RESEPTFORNYELSE") is None
    assert await panel_view(api, unknown) is None


async def test_practitioner_not_affiliated_gives_null(api):
    # Given Jacob works at Fjordbyen only, and STRANGER is not in the registry at all
    # When the patient page asks for Storgata with either of them as the patient's GP
    # Then the answer is null
    assert await service_view(api, STORGATA, "RESEPTFORNYELSE", hpr=JACOB) is None
    assert await panel_view(api, STORGATA, hpr=JACOB) is None
    assert await service_view(api, STORGATA, "RESEPTFORNYELSE", hpr=STRANGER) is None
    assert await panel_view(api, STORGATA, hpr=STRANGER) is None
    # But Jacob at his own practice is fine
    assert (await service_view(api, FJORDBYEN, "RESEPTFORNYELSE", hpr=JACOB)) is not None


# --- the merge ------------------------------------------------------------------------------


async def test_service_merges_title_standard_text_and_practice_text(api):
    # Given Storgata's addition for Reseptfornyelse
    await save_texts(api, STORGATA, {"RESEPTFORNYELSE": "Husk styrke."}, hpr=ASTRID)
    # When the patient page asks for the service
    view = await service_view(api, STORGATA, "RESEPTFORNYELSE")
    # Then it gets the catalogue's patient title, the slot's standard text and the addition
    assert view["service"] == "RESEPTFORNYELSE"
    assert view["title"] == "Fornye resept"
    assert view["standardText"] == RESEPT_STANDARD
    assert view["practiceText"] == "Husk styrke."
    assert view["offered"] is True
    assert view["available"] is True
    assert view["absence"] is None


async def test_practice_text_belongs_to_its_slot_and_practice(api):
    # Given additions for two slots at Storgata and none at Fjordbyen
    await save_texts(
        api,
        STORGATA,
        {"RESEPTFORNYELSE": "Husk styrke.", "KONTAKT_LEGEKONTORET": "Ring før 10."},
        hpr=ASTRID,
    )
    # When the patient page asks for each service
    kontakt = await service_view(api, STORGATA, "KONTAKT_LEGEKONTORET")
    time_view = await service_view(api, STORGATA, "TIMEBESTILLING")
    other = await service_view(api, FJORDBYEN, "RESEPTFORNYELSE")
    # Then each service shows its own slot's text, and another practice shows none
    assert kontakt["title"] == "Kontakte legekontoret"
    assert kontakt["practiceText"] == "Ring før 10."
    assert kontakt["standardText"] == (
        "Still et praktisk spørsmål til resepsjonen ved fastlegekontoret. "
        "Du vil bli kontaktet innen fem arbeidsdager."
    )
    # Timebestilling has no standard text ("Ingen") and no addition
    assert time_view["title"] == "Bestille time"
    assert time_view["standardText"] is None
    assert time_view["practiceText"] is None
    assert other["practiceText"] is None


async def test_form_is_the_active_form_at_the_main_entry_point(api):
    # Given no choice yet: E_KONTAKT has no standard form
    before = await service_view(api, STORGATA, "KONTAKT_LEGEKONTORET")
    assert before["form"] is None
    # When a GP puts a form at E_KONTAKT (the main entry point of Kontakt legekontoret)
    await choose_form(api, STORGATA, "E_KONTAKT", "e-kontakt-hva-gjelder")
    # Then the very next patient request shows it
    after = await service_view(api, STORGATA, "KONTAKT_LEGEKONTORET")
    assert after["form"] == {"id": "e-kontakt-hva-gjelder"}
    # And a form at the other entry point (Kontakt fastlegen) does not become the main form
    await choose_form(api, STORGATA, "E_KONTAKT", None)
    await choose_form(api, STORGATA, "KONTAKT_FASTLEGEN", "e-kontakt-hva-gjelder")
    last = await service_view(api, STORGATA, "KONTAKT_LEGEKONTORET")
    assert last["form"] is None
    assert last["entryPoints"] == [
        {"entryPoint": "E_KONTAKT", "title": "Kontakt legekontoret", "form": None},
        {
            "entryPoint": "KONTAKT_FASTLEGEN",
            "title": "Kontakt fastlegen",
            "form": {"id": "e-kontakt-hva-gjelder"},
        },
    ]


async def test_entry_points_in_order_with_titles_and_forms(api):
    # Given Storgata replaces the default at Koronavaksine and removes it at Labtime
    await choose_form(api, STORGATA, "TIMEBESTILLING_KORONAVAKSINE", "koronavaksine-alt-2")
    await choose_form(api, STORGATA, "TIMEBESTILLING_LABTIME", None)
    # When the patient page asks for Timebestilling
    view = await service_view(api, STORGATA, "TIMEBESTILLING")
    # Then every entry point of the service comes in EntryPoint order, with its form
    assert view["entryPoints"] == [
        {
            "entryPoint": "TIMEBESTILLING_KONSULTASJON",
            "title": "Konsultasjon",
            "form": {"id": "konsultasjon-kontrollsporsmal-standard"},
        },
        {
            "entryPoint": "TIMEBESTILLING_KORONATEST",
            "title": "Koronatest",
            "form": {"id": "timebestilling-koronatest-standard"},
        },
        {
            "entryPoint": "TIMEBESTILLING_KORONAVAKSINE",
            "title": "Koronavaksine",
            "form": {"id": "koronavaksine-alt-2"},
        },
        {
            "entryPoint": "TIMEBESTILLING_INFLUENSAVAKSINE",
            "title": "Influensavaksine",
            "form": {"id": "koronavaksine-standard"},
        },
        {"entryPoint": "TIMEBESTILLING_LABTIME", "title": "Laboratorietime", "form": None},
    ]
    # And the main form is the default at TIMEBESTILLING_KONSULTASJON
    assert view["form"] == {"id": "konsultasjon-kontrollsporsmal-standard"}


async def test_service_not_offered_has_no_form_and_no_absence_but_keeps_texts(api):
    # Given Fjordbyen does not offer E-konsultasjon, yet has a text, a form and an absence for it
    await save_texts(api, FJORDBYEN, {"E_KONSULTASJON": "Kun for faste pasienter."})
    await choose_form(api, FJORDBYEN, "E_KONSULTASJON", "beskriv-symptomene-dine")
    await add_absence(
        api, TODAY, date(2024, 6, 14), ["E_KONSULTASJON"], practitioner=JACOB, her_id=FJORDBYEN
    )
    # When the patient page asks for it with Jacob as the GP
    view = await service_view(api, FJORDBYEN, "E_KONSULTASJON", hpr=JACOB)
    # Then it is neither offered nor available, with no form anywhere and no absence notice
    assert view["offered"] is False
    assert view["available"] is False
    assert view["form"] is None
    assert [e["entryPoint"] for e in view["entryPoints"]] == ["E_KONSULTASJON"]
    assert all(e["form"] is None for e in view["entryPoints"])
    assert view["absence"] is None
    # But the texts are still returned
    assert view["title"] == "Starte e-konsultasjon"
    assert view["standardText"] == E_KONSULTASJON_STANDARD
    assert view["practiceText"] == "Kun for faste pasienter."


async def test_panel_shows_practice_panel_text_and_all_services_in_order(api):
    # Given Fjordbyen has no panel text yet
    empty = await panel_view(api, FJORDBYEN)
    assert empty["panelText"] is None
    # When a GP saves a FASTLEGEPANEL addition
    await save_texts(api, FJORDBYEN, {"FASTLEGEPANEL": "Velkommen til Fjordbyen."}, hpr=JACOB)
    panel = await panel_view(api, FJORDBYEN)
    # Then the panel shows the practice, the text and all four services in Service order
    assert panel["practice"] == {"herId": FJORDBYEN, "name": "Fjordbyen fastlegekontor"}
    assert panel["panelText"] == "Velkommen til Fjordbyen."
    assert [(s["service"], s["offered"], s["available"]) for s in panel["services"]] == [
        ("TIMEBESTILLING", True, True),
        ("E_KONSULTASJON", False, False),
        ("RESEPTFORNYELSE", True, True),
        ("KONTAKT_LEGEKONTORET", True, True),
    ]
    # And the panel's services carry the same forms as patientService
    services = by_service(panel)
    assert services["RESEPTFORNYELSE"]["form"] == {"id": "forny-resept-standard"}
    assert services["E_KONSULTASJON"]["form"] is None


# --- absences -------------------------------------------------------------------------------


async def test_absence_switches_the_listed_service_off_for_that_practitioner(api):
    # Given Astrid is away this week from Reseptfornyelse
    await add_absence(api, date(2024, 6, 10), date(2024, 6, 14), ["RESEPTFORNYELSE"])
    # When her patient asks for the service
    view = await service_view(api, STORGATA, "RESEPTFORNYELSE", hpr=ASTRID)
    # Then it is off, with a notice; the form is still given
    assert view["offered"] is True
    assert view["available"] is False
    # Friday 14 June -> back Monday 17 June
    assert dates_of(view) == notice("2024-06-10", "2024-06-14", "2024-06-17")
    assert view["absence"]["message"] == (
        "Tjenesten er midlertidig utilgjengelig. Den åpner igjen mandag 17. juni 2024."
    )
    assert view["form"] == {"id": "forny-resept-standard"}
    assert view["entryPoints"][0]["form"] == {"id": "forny-resept-standard"}


async def test_absence_leaves_other_services_and_practitioners_alone(api):
    # Given Astrid is away from Reseptfornyelse only
    await add_absence(api, date(2024, 6, 10), date(2024, 6, 14), ["RESEPTFORNYELSE"])
    # When the panel is asked for with Astrid, Kristian, and no GP
    astrid = by_service(await panel_view(api, STORGATA, hpr=ASTRID))
    kristian = by_service(await panel_view(api, STORGATA, hpr=KRISTIAN))
    anyone = by_service(await panel_view(api, STORGATA))
    # Then only Astrid's Reseptfornyelse is off
    assert astrid["RESEPTFORNYELSE"]["available"] is False
    assert astrid["RESEPTFORNYELSE"]["absence"]["to"] == "2024-06-14"
    for code in ("TIMEBESTILLING", "E_KONSULTASJON", "KONTAKT_LEGEKONTORET"):
        assert astrid[code]["available"] is True
        assert astrid[code]["absence"] is None
    # And Kristian's patients, and a request without practitionerHpr, see everything available
    for services in (kristian, anyone):
        assert all(s["available"] for s in services.values())
        assert all(s["absence"] is None for s in services.values())


async def test_absence_at_another_practice_does_not_apply(api):
    # Given Kristian is away at Fjordbyen (he also works at Storgata)
    await add_absence(
        api, TODAY, date(2024, 6, 14), ["RESEPTFORNYELSE"], practitioner=KRISTIAN, her_id=FJORDBYEN
    )
    # When his patients at each practice ask
    fjordbyen = await service_view(api, FJORDBYEN, "RESEPTFORNYELSE", hpr=KRISTIAN)
    storgata = await service_view(api, STORGATA, "RESEPTFORNYELSE", hpr=KRISTIAN)
    # Then it is off at Fjordbyen only
    assert fjordbyen["available"] is False
    assert storgata["available"] is True
    assert storgata["absence"] is None


async def test_on_overrides_today(api):
    # Given Astrid is away 1-5 July
    await add_absence(api, date(2024, 7, 1), date(2024, 7, 5), ["E_KONSULTASJON"])
    # When asked for today (10 June), the day before, the first and last day, the day after
    today = await service_view(api, STORGATA, "E_KONSULTASJON", hpr=ASTRID)
    before = await service_view(api, STORGATA, "E_KONSULTASJON", hpr=ASTRID, on=date(2024, 6, 30))
    first = await service_view(api, STORGATA, "E_KONSULTASJON", hpr=ASTRID, on=date(2024, 7, 1))
    last = await service_view(api, STORGATA, "E_KONSULTASJON", hpr=ASTRID, on=date(2024, 7, 5))
    after = await service_view(api, STORGATA, "E_KONSULTASJON", hpr=ASTRID, on=date(2024, 7, 6))
    # Then it is off only on the days of the absence (both ends inclusive)
    assert [v["available"] for v in (today, before, first, last, after)] == [
        True,
        True,
        False,
        False,
        True,
    ]
    assert dates_of(first) == notice("2024-07-01", "2024-07-05", "2024-07-08")
    # And the panel takes `on` too
    panel = by_service(await panel_view(api, STORGATA, hpr=ASTRID, on=date(2024, 7, 3)))
    assert panel["E_KONSULTASJON"]["available"] is False


async def test_today_is_the_oslo_date(api, clock):
    # Given Astrid is away from Wednesday 12 June
    await add_absence(api, date(2024, 6, 12), date(2024, 6, 14), ["TIMEBESTILLING"])
    # When it is 23:30 in Oslo on Tuesday 11 June
    clock.set(date(2024, 6, 11), at=time(23, 30))
    late = await service_view(api, STORGATA, "TIMEBESTILLING", hpr=ASTRID)
    # Then she is not yet off
    assert late["available"] is True
    assert late["absence"] is None
    # When it is 00:30 in Oslo on Wednesday 12 June (22:30 UTC on the 11th)
    clock.set(date(2024, 6, 12), at=time(0, 30))
    assert clock().date() == date(2024, 6, 11)
    early = await service_view(api, STORGATA, "TIMEBESTILLING", hpr=ASTRID)
    # Then she is off
    assert early["available"] is False
    assert dates_of(early) == notice("2024-06-12", "2024-06-14", "2024-06-17")


async def test_absence_starting_tomorrow_applies_when_the_clock_moves(api, clock):
    # Given an absence from tomorrow; today the service is on
    await add_absence(api, date(2024, 6, 11), date(2024, 6, 11), ["KONTAKT_LEGEKONTORET"])
    today = await service_view(api, STORGATA, "KONTAKT_LEGEKONTORET", hpr=ASTRID)
    assert today["available"] is True
    # When the clock moves to tomorrow, with no write in between
    clock.set(date(2024, 6, 11))
    tomorrow = await service_view(api, STORGATA, "KONTAKT_LEGEKONTORET", hpr=ASTRID)
    panel = by_service(await panel_view(api, STORGATA, hpr=ASTRID))
    # Then it is off
    assert tomorrow["available"] is False
    assert dates_of(tomorrow) == notice("2024-06-11", "2024-06-11", "2024-06-12")
    assert panel["KONTAKT_LEGEKONTORET"]["available"] is False
    # And the day after, on again
    clock.set(date(2024, 6, 12))
    assert (await service_view(api, STORGATA, "KONTAKT_LEGEKONTORET", hpr=ASTRID))["available"]


async def test_back_to_back_absences_read_as_one(api):
    # Given two absences, one ending 5 July and the next starting 6 July, both listing the service
    await add_absence(api, date(2024, 7, 1), date(2024, 7, 5), ["RESEPTFORNYELSE"])
    await add_absence(api, date(2024, 7, 6), date(2024, 7, 12), ["RESEPTFORNYELSE"])
    # When asked on a day in the first, and a day in the second
    for on in (date(2024, 7, 1), date(2024, 7, 2), date(2024, 7, 6), date(2024, 7, 12)):
        view = await service_view(api, STORGATA, "RESEPTFORNYELSE", hpr=ASTRID, on=on)
        # Then the notice spans the whole chain; back Monday 15 July
        assert dates_of(view) == notice("2024-07-01", "2024-07-12", "2024-07-15"), on


async def test_gap_of_one_day_breaks_the_chain(api):
    # Given 1-5 July and 7-12 July: Saturday 6 July is not covered
    await add_absence(api, date(2024, 7, 1), date(2024, 7, 5), ["RESEPTFORNYELSE"])
    await add_absence(api, date(2024, 7, 7), date(2024, 7, 12), ["RESEPTFORNYELSE"])
    # When asked in the first, on the gap day, and in the second
    first = await service_view(api, STORGATA, "RESEPTFORNYELSE", hpr=ASTRID, on=date(2024, 7, 3))
    gap = await service_view(api, STORGATA, "RESEPTFORNYELSE", hpr=ASTRID, on=date(2024, 7, 6))
    second = await service_view(api, STORGATA, "RESEPTFORNYELSE", hpr=ASTRID, on=date(2024, 7, 8))
    # Then they are two separate notices, and the gap day is on
    assert dates_of(first) == notice("2024-07-01", "2024-07-05", "2024-07-08")
    assert gap["available"] is True
    assert gap["absence"] is None
    assert dates_of(second) == notice("2024-07-07", "2024-07-12", "2024-07-15")


async def test_chain_follows_only_absences_listing_that_service(api):
    # Given 1-5 July off from Reseptfornyelse and E-konsultasjon; 6-12 July from E-konsultasjon
    # only; and Kristian off from Reseptfornyelse 6-12 July
    await add_absence(
        api, date(2024, 7, 1), date(2024, 7, 5), ["RESEPTFORNYELSE", "E_KONSULTASJON"]
    )
    await add_absence(api, date(2024, 7, 6), date(2024, 7, 12), ["E_KONSULTASJON"])
    await add_absence(
        api, date(2024, 7, 6), date(2024, 7, 12), ["RESEPTFORNYELSE"], practitioner=KRISTIAN
    )
    # When Astrid's patients look on 2 July
    panel = by_service(await panel_view(api, STORGATA, hpr=ASTRID, on=date(2024, 7, 2)))
    # Then E-konsultasjon runs to 12 July, Reseptfornyelse only to 5 July
    assert dates_of(panel["E_KONSULTASJON"]) == notice("2024-07-01", "2024-07-12", "2024-07-15")
    assert dates_of(panel["RESEPTFORNYELSE"]) == notice("2024-07-01", "2024-07-05", "2024-07-08")
    # And on 8 July her Reseptfornyelse is on (Kristian's absence is not hers)
    later = await service_view(api, STORGATA, "RESEPTFORNYELSE", hpr=ASTRID, on=date(2024, 7, 8))
    assert later["available"] is True
    assert later["absence"] is None


# --- returnsOn and the message --------------------------------------------------------------


async def test_message_names_the_return_day_in_norwegian(api):
    # Given Astrid is away to Monday 8 July
    await add_absence(api, date(2024, 7, 1), date(2024, 7, 8), ["TIMEBESTILLING"])
    # When asked during the absence
    view = await service_view(api, STORGATA, "TIMEBESTILLING", hpr=ASTRID, on=date(2024, 7, 4))
    # Then the notice reads exactly so
    assert view["absence"] == {
        "from": "2024-07-01",
        "to": "2024-07-08",
        "returnsOn": "2024-07-09",
        "message": "Tjenesten er midlertidig utilgjengelig. Den åpner igjen tirsdag 9. juli 2024.",
    }


async def test_returns_on_skips_christmas(api):
    # Given an absence to Tuesday 24 December 2024 (25 and 26 December are public holidays)
    await add_absence(api, date(2024, 12, 20), date(2024, 12, 24), ["RESEPTFORNYELSE"])
    view = await service_view(api, STORGATA, "RESEPTFORNYELSE", hpr=ASTRID, on=date(2024, 12, 24))
    # Then the service returns on Friday 27 December
    assert view["absence"]["returnsOn"] == "2024-12-27"
    assert view["absence"]["message"] == (
        "Tjenesten er midlertidig utilgjengelig. Den åpner igjen fredag 27. desember 2024."
    )


async def test_returns_on_skips_easter(api):
    # Given an absence to Wednesday 16 April 2025 (17, 18 and 21 April are holidays)
    await add_absence(api, date(2025, 4, 14), date(2025, 4, 16), ["RESEPTFORNYELSE"])
    view = await service_view(api, STORGATA, "RESEPTFORNYELSE", hpr=ASTRID, on=date(2025, 4, 15))
    # Then the service returns on Tuesday 22 April
    assert view["absence"]["returnsOn"] == "2025-04-22"
    assert view["absence"]["message"].endswith("tirsdag 22. april 2025.")


async def test_returns_on_after_friday_is_monday_even_before_17_may_saturday(api):
    # Given an absence to Friday 16 May 2025 (17 May is a Saturday that year)
    await add_absence(api, date(2025, 5, 12), date(2025, 5, 16), ["RESEPTFORNYELSE"])
    view = await service_view(api, STORGATA, "RESEPTFORNYELSE", hpr=ASTRID, on=date(2025, 5, 16))
    # Then the service returns on Monday 19 May
    assert view["absence"]["returnsOn"] == "2025-05-19"


async def test_returns_on_skips_17_may_on_a_weekday(api, clock):
    # Given the clock in 2027, so that an absence in May 2028 may be registered
    clock.set(date(2027, 1, 4))
    # And an absence to Tuesday 16 May 2028 (17 May 2028 is a Wednesday, Constitution Day)
    await add_absence(api, date(2028, 5, 15), date(2028, 5, 16), ["TIMEBESTILLING"])
    view = await service_view(api, STORGATA, "TIMEBESTILLING", hpr=ASTRID, on=date(2028, 5, 16))
    # Then the service returns on Thursday 18 May 2028
    assert view["absence"]["returnsOn"] == "2028-05-18"
    assert view["absence"]["message"] == (
        "Tjenesten er midlertidig utilgjengelig. Den åpner igjen torsdag 18. mai 2028."
    )
