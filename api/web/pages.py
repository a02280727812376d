"""The pages: /, /portal, /window, /kiosk, /board, /issuer, /admin.

Each is an HTML shell rendered in the visitor's language; its script signs in (if the page
needs a role) and calls the JSON API with the access token, so the pages can do exactly what
the API lets that user do and nothing more.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Cookie, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from api.auth import allow
from api.web.i18n import Lang, pick_lang, table, translate

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
STATIC_DIR = HERE / "static"

# (path, nav word, the role the page signs in as; None: no sign-in)
PAGES: tuple[tuple[str, str, str | None], ...] = (
    ("/portal", "nav.portal", "business"),
    ("/window", "nav.window", "clerk"),
    ("/kiosk", "nav.kiosk", None),
    ("/board", "nav.board", None),
    ("/issuer", "nav.issuer", "issuer"),
    ("/admin", "nav.admin", "admin"),
)
NAV = [(path, word) for path, word, _ in PAGES]
LANG_COOKIE = "codeid_lang"

router = APIRouter(include_in_schema=False, dependencies=[allow(public=True)])


def _lang(query: str | None, cookie: str | None) -> Lang:
    return pick_lang(query or cookie)


def render(request: Request, template: str, *, page: str, lang: Lang, role: str | None) -> Response:
    response = templates.TemplateResponse(
        request,
        template,
        {
            "lang": lang,
            "page": page,
            "nav": NAV,
            "needs_role": role,
            "words": table(lang),
            "t": lambda key: translate(key, lang),
        },
    )
    response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    response.headers["Cache-Control"] = "no-store"
    return response


LangQuery = Annotated[str | None, Query(pattern="^(zh|en)$")]
LangCookie = Annotated[str | None, Cookie(alias=LANG_COOKIE)]


@router.get("/", response_class=HTMLResponse)
def index(request: Request, lang: LangQuery = None, cookie: LangCookie = None) -> Response:
    return render(request, "index.html", page="/", lang=_lang(lang, cookie), role=None)


def _page(path: str, role: str | None) -> None:
    template = path.strip("/") + ".html"

    def show(request: Request, lang: LangQuery = None, cookie: LangCookie = None) -> Response:
        return render(request, template, page=path, lang=_lang(lang, cookie), role=role)

    show.__name__ = f"page_{path.strip('/')}"
    router.add_api_route(path, show, methods=["GET"], response_class=HTMLResponse)


for _path, _word, _role in PAGES:
    if (HERE / "templates" / (_path.strip("/") + ".html")).exists():
        _page(_path, _role)
