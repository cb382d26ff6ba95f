"""GraphiQL (development only), served by the service itself: no file comes from a CDN, so it
works on a closed network (Helsenettet) too.

- GraphiQL and React are npm packages, pinned to exact versions in web/graphiql/package.json
  and its committed package-lock.json; `make run` and `make test` install them with `npm ci`
  into web/graphiql/node_modules (git-ignored). Only their UMD builds are served, under
  /graphiql/<package>@<version>/<file>: the version is the pinned one, and a file is served
  only while the installed package has that version.
- The page's own script and style (web/graphiql/graphiql.js, graphiql.css) are served the
  same way, versioned by a digest of their content: /graphiql/tilpass@<digest>/<file>.
- Every URL is looked up in that list as it is, whole: nothing else in the folders can be
  asked for. A versioned URL never changes its content, so browsers keep it for a year.
- The page (edge.graphql_over_http renders it at GET /graphql for a browser) runs nothing
  inline; its Content-Security-Policy allows this origin's files alone.
- Without the packages (no Node.js where the service was set up) the page says, in Norwegian,
  how to install them, instead of staying at "Loading…".
"""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from settings import Settings

# Where the page finds its files, and the folder they come from.
ASSET_PATH = "/graphiql"
FOLDER = Path(__file__).resolve().parents[1] / "web" / "graphiql"
INSTALL_COMMAND = "npm ci --prefix web/graphiql --ignore-scripts"

# What is served of each npm package: the URL's file name → the file in the package.
PACKAGES: dict[str, dict[str, str]] = {
    "react": {"react.production.min.js": "umd/react.production.min.js"},
    "react-dom": {"react-dom.production.min.js": "umd/react-dom.production.min.js"},
    "graphiql": {
        "graphiql.min.js": "graphiql.min.js",
        "graphiql.min.css": "graphiql.min.css",
        # For the browser's developer tools, which ask for them next to the files.
        "graphiql.min.js.map": "graphiql.min.js.map",
        "graphiql.min.css.map": "graphiql.min.css.map",
    },
}
# The page's own files, in FOLDER.
OWN = "tilpass"
OWN_FILES = ("graphiql.js", "graphiql.css")
# In the order the page loads them.
STYLES = (("graphiql", "graphiql.min.css"), (OWN, "graphiql.css"))
SCRIPTS = (
    ("react", "react.production.min.js"),
    ("react-dom", "react-dom.production.min.js"),
    ("graphiql", "graphiql.min.js"),
    (OWN, "graphiql.js"),
)

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; font-src 'self' data:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # The page names the files' versions: a browser must see a new one at once.
    "Cache-Control": "no-cache",
}
ASSET_HEADERS = {
    "Cache-Control": "public, max-age=31536000, immutable",
    "X-Content-Type-Options": "nosniff",
}
MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".map": "application/json"}


@dataclass(frozen=True)
class Missing:
    """A package that is not installed as pinned: `installed` is None when it is not there."""

    package: str
    pinned: str
    installed: str | None


class GraphiQLAssets:
    """GraphiQL's files in `folder` (web/graphiql): the page and the files it may load."""

    def __init__(self, folder: Path = FOLDER) -> None:
        self.folder = folder
        self._digests: dict[Path, tuple[tuple[int, int], str]] = {}

    def pinned(self) -> dict[str, str]:
        """The packages' versions as package.json pins them."""
        try:
            manifest = json.loads((self.folder / "package.json").read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        dependencies = manifest.get("dependencies") if isinstance(manifest, dict) else None
        return dict(dependencies) if isinstance(dependencies, dict) else {}

    def installed(self, package: str) -> str | None:
        manifest = self.folder / "node_modules" / package / "package.json"
        try:
            version = json.loads(manifest.read_text("utf-8")).get("version")
        except (OSError, ValueError, AttributeError):
            return None
        return version if isinstance(version, str) else None

    def missing(self) -> list[Missing]:
        """The packages that are not installed, or not in the version pinned."""
        pinned = self.pinned()
        absent = []
        for package, files in PACKAGES.items():
            version = pinned.get(package, "?")
            installed = self.installed(package)
            root = self.folder / "node_modules" / package
            complete = all((root / inside).is_file() for inside in files.values())
            if installed != version or not complete:
                absent.append(Missing(package, version, installed if complete else None))
        return absent

    def files(self) -> dict[str, Path]:
        """Every file that may be served: its path under ASSET_PATH → the file."""
        served: dict[str, Path] = {}
        pinned = self.pinned()
        for package, files in PACKAGES.items():
            version = pinned.get(package)
            if version is None or self.installed(package) != version:
                continue
            root = self.folder / "node_modules" / package
            for name, inside in files.items():
                served[f"{package}@{version}/{name}"] = root / inside
        for name in OWN_FILES:
            path = self.folder / name
            digest = self._digest(path)
            if digest is not None:
                served[f"{OWN}@{digest}/{name}"] = path
        return served

    def url(self, package: str, name: str) -> str:
        if package == OWN:
            version = self._digest(self.folder / name) or "0"
        else:
            version = self.pinned().get(package, "0")
        return f"{ASSET_PATH}/{package}@{version}/{name}"

    def _digest(self, path: Path) -> str | None:
        """A digest of the file's content, computed again when the file changes."""
        try:
            stat = path.stat()
        except OSError:
            return None
        seen = (stat.st_mtime_ns, stat.st_size)
        known = self._digests.get(path)
        if known is not None and known[0] == seen:
            return known[1]
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        self._digests[path] = (seen, digest)
        return digest

    def page(self, headers: dict[str, str]) -> str:
        """The page; `headers` go with every request GraphiQL sends (edge.graphql_over_http
        marks them as GraphiQL's)."""
        missing = self.missing()
        if missing:
            return PAGE.format(
                styles=self._tags(LINK, [(OWN, "graphiql.css")]),
                body=_installation_help(missing),
                scripts="",
            )
        # A JSON data block: the browser runs no script from it, so the policy stays 'self'.
        config = json.dumps({"headers": headers}).replace("<", "\\u003c")
        return PAGE.format(
            styles=self._tags(LINK, STYLES),
            body=(
                f'    <script type="application/json" id="graphiql-config">{config}</script>\n'
                '    <div id="graphiql" class="graphiql-container">Laster GraphiQL …</div>\n'
                "    <noscript>GraphiQL trenger JavaScript.</noscript>"
            ),
            scripts=self._tags(SCRIPT, SCRIPTS),
        )

    def _tags(self, tag: str, assets: Iterable[tuple[str, str]]) -> str:
        return "\n".join(tag.format(url=html.escape(self.url(*asset))) for asset in assets)

    def page_response(self, headers: dict[str, str]) -> HTMLResponse:
        return HTMLResponse(self.page(headers), headers=PAGE_HEADERS)

    async def serve(self, request: Request) -> Response:
        """GET /graphiql/<package>@<version>/<file>: a file of the list, or 404."""
        path = self.files().get(request.path_params["asset"])
        if path is None or not path.is_file():
            return PlainTextResponse("Ingen slik GraphiQL-fil.", status_code=404)
        media_type = MEDIA_TYPES.get(path.suffix, "application/octet-stream")
        return FileResponse(path, media_type=media_type, headers=ASSET_HEADERS)


LINK = '    <link rel="stylesheet" href="{url}">'
SCRIPT = '    <script src="{url}"></script>'
PAGE = """<!doctype html>
<html lang="nb">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>GraphiQL – Tilpass Helsenorge</title>
    <link rel="icon" href="data:,">
{styles}
  </head>
  <body>
{body}
{scripts}
  </body>
</html>
"""


def _installation_help(missing: list[Missing]) -> str:
    listed = "\n".join(
        f"        <li><code>{html.escape(m.package)}@{html.escape(m.pinned)}</code>: "
        + (
            "ikke installert"
            if m.installed is None
            else f"versjon {html.escape(m.installed)} er installert"
        )
        + "</li>"
        for m in missing
    )
    return f"""    <main class="graphiql-missing">
      <h1>GraphiQL er ikke installert her</h1>
      <p>GraphiQL og React serveres fra tjenesten selv, ikke fra internett. Filene kommer fra
        npm-pakkene som er låst i <code>web/graphiql/package-lock.json</code>, og disse
        mangler:</p>
      <ul>
{listed}
      </ul>
      <p><code>make run</code> installerer dem (og Node.js fra Debian når det mangler og kan
        installeres). Har du Node.js og npm, holder det med</p>
      <pre><code>{html.escape(INSTALL_COMMAND)}</code></pre>
      <p>i prosjektmappen. Last så siden på nytt. API-et svarer som vanlig på
        <code>POST /graphql</code> i mellomtiden.</p>
    </main>"""


# The service's files (web/graphiql); a test may give the view and the route others.
ASSETS = GraphiQLAssets()


def graphiql_routes(settings: Settings, assets: GraphiQLAssets = ASSETS) -> list[BaseRoute]:
    """GraphiQL's files; none in production, which has no GraphiQL."""
    if settings.production:
        return []
    return [Route(f"{ASSET_PATH}/{{asset:path}}", assets.serve, methods=["GET", "HEAD"])]
