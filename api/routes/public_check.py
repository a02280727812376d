"""Anyone may check the static code on a shop door: a page (no script) and the same as JSON.

Only static codes are answered here; dynamic codes are for service windows, which see far
more, so a dynamic code is refused (``dynamic-code``) without saying whose it is. The
answer holds only public registry facts: the entity's name and status and which licence
types it currently holds valid licences of - no numbers, no fields. Refusals get a fixed
message per reason, never the registry's internal wording (e.g. a revocation note). Each
check is one anonymous entry in the access log. Both routes are anonymous and scrapeable, so
each address may check ``public_checks_per_minute`` codes a minute (then 429, Retry-After).
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from api.access_record import access_of
from api.auth import Principal, PublicDep
from api.deps import KeyRingDep, NowDep, RuntimeDep, SessionDep
from api.edge.throttle import limit_public_checks
from api.partner_schemas import EntitySummaryOut, PublicCheckOut, PublicLicenceTypeOut
from codeid.audit.log import append
from codeid.codes.payload import CodeKind
from codeid.codes.resolve import resolve_code
from codeid.keys.jwks import PublicKeySet
from codeid.limits.counter import RateLimited
from credentials.licence_records import VALID
from credentials.resolve import current_licence_views

router = APIRouter(tags=["public"])
MAX_PAYLOAD = 4096
DYNAMIC = "dynamic-code"
MESSAGES = {
    "ok": "The code is genuine and the business is registered.",
    DYNAMIC: "This is a dynamic code: it is checked at a service window, not here.",
    "entity-not-active": "The code is genuine but the business may not trade now.",
    "revoked": "This code has been withdrawn.",
    "expired": "This code has expired.",
    "key-compromised": "This code was signed with a withdrawn key: ask for the new one.",
}
REFUSED = "This is not a valid business code."
Code = Annotated[str, Query(min_length=1, max_length=MAX_PAYLOAD, description="The scanned text")]
OptionalCode = Annotated[str | None, Query(max_length=MAX_PAYLOAD, description="The scanned text")]


def check_static(
    session: Session, principal: Principal, keys: PublicKeySet, payload: str, now: datetime
) -> PublicCheckOut:
    """Verify the text as a static code, log the check, answer with public facts only."""
    result = resolve_code(
        session,
        payload.strip(),
        keys=keys,
        now=now,
        actor="anonymous",
        location="",
        channel="public",
    )
    claims = result.claims
    answer = PublicCheckOut(valid=result.ok, reason=result.reason, message="", checked_at=now)
    if claims is not None and claims.kind is CodeKind.DYNAMIC:
        answer.valid, answer.reason = False, DYNAMIC
    elif result.entity is not None:
        answer.entity = EntitySummaryOut.model_validate(result.entity)
        if result.ok:
            answer.valid_licence_types = _valid_types(session, result.entity.uscc, now)
    answer.message = MESSAGES.get(answer.reason, REFUSED)
    fields = ["entity.name", "entity.status"] if answer.entity else []
    fields += ["valid_licence_types"] if answer.valid_licence_types else []
    entry = access_of(
        principal,
        action="code.public-check",
        outcome=answer.reason,
        purpose="public check",
        subject_uscc=answer.entity.uscc if answer.entity else None,
        resource=f"code:{claims.code_id}" if claims else "code",
        fields=fields,
    )
    # In the request's transaction: it already wrote the resolution record.
    append(session, [entry], now=now)
    return answer


def _valid_types(session: Session, uscc: str, now: datetime) -> list[PublicLicenceTypeOut]:
    seen: dict[str, PublicLicenceTypeOut] = {}
    for view in current_licence_views(session, uscc, now=now):
        if view.status == VALID and view.type_code not in seen:
            seen[view.type_code] = PublicLicenceTypeOut(
                code=view.type_code, name_zh=view.type_name_zh, name_en=view.type_name_en
            )
    return list(seen.values())


@router.get("/v1/public/check", response_model=PublicCheckOut)
def check_json(
    code: Code,
    request: Request,
    anyone: PublicDep,
    session: SessionDep,
    keyring: KeyRingDep,
    runtime: RuntimeDep,
    now: NowDep,
) -> PublicCheckOut:
    """Check a static business code: entity name, status, and valid licence types."""
    limit_public_checks(session, request, runtime.settings, now=now)
    return check_static(session, anyone, keyring.public_keys(), code, now)


@router.get("/check", response_class=HTMLResponse)
def check_page(
    request: Request,
    anyone: PublicDep,
    session: SessionDep,
    keyring: KeyRingDep,
    runtime: RuntimeDep,
    now: NowDep,
    code: OptionalCode = None,
) -> HTMLResponse:
    """The public check page: a form for the scanned text, and the answer below it."""
    text = (code or "").strip()
    if not text:
        return HTMLResponse(render_page(text, None), headers=PAGE_HEADERS)
    try:
        limit_public_checks(session, request, runtime.settings, now=now)
    except RateLimited as busy:
        wait = int(busy.details["retry_after"])
        headers = {**PAGE_HEADERS, "Retry-After": str(wait)}
        return HTMLResponse(render_page(text, None, busy=wait), status_code=429, headers=headers)
    answer = check_static(session, anyone, keyring.public_keys(), text, now)
    return HTMLResponse(render_page(text, answer), headers=PAGE_HEADERS)


# No script at all; inline style only; the form submits only to this site.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
}
PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>营业执照码核验 · Business code check</title>
<style>body{{font-family:sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}}
input[type=text]{{width:100%;font-size:1rem;padding:.4rem}}.ok{{color:#05620a}}.no{{color:#a00}}</style>
</head><body>
<h1>营业执照码核验 <small>Business code check</small></h1>
<form method="get" action="/check">
<label for="code">扫描所得内容 / Scanned text</label>
<input type="text" id="code" name="code" value="{code}" maxlength="{max}"
 autocomplete="off" autofocus>
<p><button type="submit">核验 / Check</button></p>
</form>
{result}
</body></html>
"""


def render_page(code: str, answer: PublicCheckOut | None, *, busy: int | None = None) -> str:
    result = _result_html(answer) if busy is None else BUSY.format(seconds=busy)
    return PAGE.format(code=escape(code), max=MAX_PAYLOAD, result=result)


BUSY = (
    '<section><h2 class="no">请稍后再试 / Please wait</h2>'
    "<p>此地址的核验次数过多，请 {seconds} 秒后再试。 / Too many checks from this address; "
    "try again in {seconds} seconds.</p></section>"
)


def _result_html(answer: PublicCheckOut | None) -> str:
    if answer is None:
        return ""
    verdict = "有效 / Valid" if answer.valid else "无效 / Not valid"
    parts = [
        f'<section><h2 class="{"ok" if answer.valid else "no"}">{verdict}</h2>',
        f"<p>{escape(answer.message)} <small>({escape(answer.reason)})</small></p>",
    ]
    if answer.entity is not None:
        parts.append(
            f"<dl><dt>名称 / Name</dt><dd>{escape(answer.entity.name)}</dd>"
            f"<dt>统一社会信用代码 / USCC</dt><dd>{escape(answer.entity.uscc)}</dd>"
            f"<dt>状态 / Status</dt><dd>{escape(answer.entity.status)}</dd></dl>"
        )
    if answer.valid_licence_types:
        items = "".join(
            f"<li>{escape(t.name_zh)} / {escape(t.name_en)}</li>"
            for t in answer.valid_licence_types
        )
        parts.append(f"<h3>有效许可 / Valid licences</h3><ul>{items}</ul>")
    elif answer.valid:
        parts.append("<p>暂无有效许可证 / No valid licences on record.</p>")
    checked = escape(answer.checked_at.isoformat(timespec="seconds"))
    parts.append(f"<p><small>核验时间 / Checked at {checked}</small></p></section>")
    return "\n".join(parts)
