"""Where a registry sync reads from: Bundle files, or a FHIR search followed page by page.

Every page is fetched before anything is read, so a page that cannot be fetched stops the
sync before it changes anything."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from resolvers.registry import RegistryError

FHIR_JSON = "application/fhir+json"
TIMEOUT_SECONDS = 30.0
# A server whose `next` links never end (or go round) must not keep a sync running forever.
MAX_PAGES = 10_000


def load_pages(sources: list[str], *, token: str | None = None) -> list[tuple[str, str]]:
    """Each source's pages as (where it came from, text) pairs, in order."""
    pages: list[tuple[str, str]] = []
    for source in sources:
        if source.startswith(("http://", "https://")):
            pages.extend(_search_pages(source, token))
        else:
            pages.append((source, _file_text(source)))
    return pages


def _file_text(source: str) -> str:
    path = Path(source)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RegistryError(f"{source}: fant ikke filen.") from None
    except UnicodeDecodeError:
        raise RegistryError(f"{source}: filen er ikke UTF-8-tekst.") from None
    except OSError as exc:
        raise RegistryError(f"{source}: kunne ikke lese filen ({exc.strerror}).") from None


def _search_pages(url: str, token: str | None) -> list[tuple[str, str]]:
    headers = {"Accept": FHIR_JSON}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    origin = _origin(url)
    pages: list[tuple[str, str]] = []
    seen: set[str] = set()
    next_url: str | None = url
    with httpx.Client(headers=headers, timeout=TIMEOUT_SECONDS, follow_redirects=False) as client:
        while next_url is not None:
            if next_url in seen or len(pages) >= MAX_PAGES:
                raise RegistryError(f"{next_url}: sidene tar ikke slutt (next-lenkene går i ring).")
            # The token goes to the server the operator named and nowhere else.
            if _origin(next_url) != origin:
                raise RegistryError(
                    f"{next_url}: next-lenken peker til en annen server enn {origin}."
                )
            seen.add(next_url)
            text = _fetch(client, next_url)
            pages.append((next_url, text))
            next_url = _next_link(next_url, text)
    return pages


def _fetch(client: httpx.Client, url: str) -> str:
    try:
        response = client.get(url)
    except httpx.HTTPError as exc:
        raise RegistryError(f"{url}: kunne ikke hente siden ({type(exc).__name__}).") from None
    if response.status_code != 200:
        raise RegistryError(
            f"{url}: serveren svarte {response.status_code}{_diagnostics(response.text)}."
        )
    return response.text


def _diagnostics(text: str) -> str:
    """What an OperationOutcome in an error answer says, briefly."""
    try:
        body = json.loads(text)
    except ValueError:
        return ""
    if not isinstance(body, dict) or body.get("resourceType") != "OperationOutcome":
        return ""
    for issue in body.get("issue") or []:
        said = isinstance(issue, dict) and issue.get("diagnostics")
        if isinstance(said, str) and said.strip():
            return f" ({said.strip()[:200]})"
    return ""


def _next_link(url: str, text: str) -> str | None:
    try:
        bundle = json.loads(text)
    except ValueError:
        return None  # read_bundles names the page and the fault
    links = bundle.get("link") if isinstance(bundle, dict) else None
    for link in links if isinstance(links, list) else []:
        if isinstance(link, dict) and link.get("relation") == "next":
            target = link.get("url")
            if isinstance(target, str) and target:
                return str(httpx.URL(url).join(target))
    return None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
