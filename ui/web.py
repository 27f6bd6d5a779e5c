"""What every page shares: templates, the cookie session, CSRF tokens, language, headers."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from search_api import DbSession, UserRow, get_user_by_token, may, unread_count
from ui.i18n import LANGUAGES, translator

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
SESSION_COOKIE = "tc_session"
LANG_COOKIE = "tc_lang"
LOGIN_CSRF_COOKIE = "tc_login_csrf"


class LoginRequired(Exception):
    """No valid session: pages redirect to the login form."""


class CsrfFailed(Exception):
    """A form came back without this session's token (or from another site)."""


def language_of(request: Request) -> str:
    lang = request.cookies.get(LANG_COOKIE, "en")
    return lang if lang in LANGUAGES else "en"


def csrf_secret(request: Request) -> bytes:
    return request.app.state.ui_secret


def csrf_token_for(request: Request, session_token: str) -> str:
    """Bound to the session: a form token is useless to anyone without the cookie."""
    return hmac.new(csrf_secret(request), session_token.encode(), hashlib.sha256).hexdigest()


def load_or_create_secret(path: Path) -> bytes:
    """A per-installation secret for CSRF tokens, kept in the data dir (0600)."""
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(secret)
    return secret


@dataclass
class PageContext:
    """The logged-in user and what every template needs."""

    request: Request
    user: UserRow
    token: str
    lang: str

    @property
    def source(self) -> str:
        return self.request.client.host if self.request.client else ""

    @property
    def csrf(self) -> str:
        return csrf_token_for(self.request, self.token)

    def check_csrf(self, submitted: str) -> None:
        if not hmac.compare_digest(submitted or "", self.csrf):
            raise CsrfFailed("form token missing or wrong")

    def render(self, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
        return render(self.request, template, status_code=status_code, user=self.user, csrf=self.csrf, unread=self.unread(), **values)

    def unread(self) -> int:
        """The bell's count: one small indexed query per page."""
        with self.request.app.state.resources.session_factory() as session:
            return unread_count(session=session, user=self.user)


def render(request: Request, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    lang = language_of(request)
    user = values.get("user")
    context = {
        "t": translator(lang),
        "lang": lang,
        "may": (lambda action: may(user, action)) if user is not None else (lambda _action: False),
        "path": request.url.path,
        **values,
    }
    return templates.TemplateResponse(request, template, context, status_code=status_code)


def current_page(request: Request, session: DbSession) -> PageContext:
    token = request.cookies.get(SESSION_COOKIE, "")
    user = get_user_by_token(session=session, token=token) if token else None
    if user is None:
        raise LoginRequired
    return PageContext(request=request, user=user, token=token, lang=language_of(request))


Page = Annotated[PageContext, Depends(current_page)]


def redirect(url: str) -> RedirectResponse:
    """After a POST, always a 303 to a GET (a reload never re-submits)."""
    return RedirectResponse(url, status_code=303)


def safe_next(url: str | None) -> str:
    """Only our own pages: never an open redirect."""
    if url and url.startswith("/ui") and not url.startswith("//") and "\\" not in url:
        return url
    return "/ui/"


def set_session_cookie(response: RedirectResponse, request: Request, token: str, max_age: int) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
# pages: our own scripts and styles only (no inline script, no third-party asset)
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
