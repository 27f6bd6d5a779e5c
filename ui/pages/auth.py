"""Login, logout and the language toggle."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from search_api import (
    DbSession,
    LoginFailed,
    PasswordChangeRefused,
    RateLimited,
    ResourcesDep,
    change_password,
    end_all_sessions,
    log_in,
    log_out,
    log_out_everywhere,
)
from ui.i18n import LANGUAGES
from ui.web import LANG_COOKIE, LOGIN_CSRF_COOKIE, SESSION_COOKIE, Page, redirect, render, safe_next, set_session_cookie

router = APIRouter(prefix="/ui")


def _login_form(request: Request, *, error: str = "", status_code: int = 200) -> HTMLResponse:
    # Before login there is no session to bind a token to: double-submit a random cookie.
    nonce = secrets.token_urlsafe(24)
    response = render(request, "auth/login.html", status_code=status_code, login_csrf=nonce, error=error)
    response.set_cookie(LOGIN_CSRF_COOKIE, nonce, httponly=True, samesite="strict", secure=request.url.scheme == "https", path="/ui")
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    return _login_form(request)


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    session: DbSession,
    res: ResourcesDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=200)],
    login_csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    if not hmac.compare_digest(login_csrf, request.cookies.get(LOGIN_CSRF_COOKIE, "")) or not login_csrf:
        return _login_form(request, error="form_expired", status_code=400)
    source = request.client.host if request.client else ""
    try:
        _user, token, lifetime = log_in(res=res, session=session, username=username, password=password, source=source)
    except LoginFailed as failure:
        return _login_form(request, error="locked_out" if failure.locked else "wrong_login", status_code=401)
    except RateLimited:
        return _login_form(request, error="too_many_attempts", status_code=429)
    response = redirect("/ui/")
    set_session_cookie(response, request, token, lifetime)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/ui")
    return response


@router.post("/logout")
def logout(page: Page, session: DbSession, csrf: Annotated[str, Form()] = "") -> RedirectResponse:
    page.check_csrf(csrf)
    log_out(session=session, user=page.user, token=page.token, source=page.source)
    response = redirect("/ui/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/lang/{lang}")
def choose_language(lang: str, next: str = "/ui/") -> RedirectResponse:
    response = redirect(safe_next(next))
    if lang in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", path="/")
    return response


@router.get("/account", response_class=HTMLResponse)
def account(page: Page) -> HTMLResponse:
    return page.render("account/index.html")


@router.post("/account/password", response_class=HTMLResponse)
def change_my_password(
    page: Page,
    session: DbSession,
    res: ResourcesDep,
    current_password: Annotated[str, Form(max_length=200)],
    new_password: Annotated[str, Form(max_length=200)],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Every session ends (this one too): the user logs in again with the new password."""
    page.check_csrf(csrf)
    try:
        change_password(
            res=res, session=session, user=page.user, current_password=current_password, new_password=new_password, source=page.source
        )
    except PasswordChangeRefused as exc:
        return page.render("account/index.html", status_code=422, error=str(exc))
    except RateLimited:
        return page.render("account/index.html", status_code=429, error="too many attempts; wait a minute")
    session.commit()
    end_all_sessions(session=session, user=page.user)  # the fresh token change_password returns is for API callers
    response = redirect("/ui/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/account/logout-all")
def logout_everywhere(page: Page, session: DbSession, csrf: Annotated[str, Form()] = "") -> RedirectResponse:
    page.check_csrf(csrf)
    log_out_everywhere(session=session, user=page.user, source=page.source)
    response = redirect("/ui/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
