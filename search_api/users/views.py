from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordRequestForm

from search_api.deps import CurrentUser, DbSession, ResourcesDep, Source, client_address, oauth2_scheme
from search_api.users import flows
from search_api.users.schemas import PasswordChange, SessionsEnded, TokenRead, UserRead, UserStatus
from search_api.users.service import LoginFailed, PasswordChangeRefused

router = APIRouter()


@router.post("/auth/token", response_model=TokenRead, summary="Log in (OAuth2 password flow)")
def login(form: Annotated[OAuth2PasswordRequestForm, Depends()], request: Request, session: DbSession, res: ResourcesDep) -> TokenRead:
    try:
        _user, token, lifetime = flows.log_in(
            res=res, session=session, username=form.username, password=form.password, source=client_address(request)
        )
    except LoginFailed as exc:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(exc), headers={"WWW-Authenticate": "Bearer"}) from exc
    return TokenRead(access_token=token, expires_in=lifetime)


@router.get("/auth/me", response_model=UserRead)
def me(user: CurrentUser) -> UserRead:
    return UserRead.model_validate(user)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, summary="Log out: this token stops working at once")
def logout(user: CurrentUser, token: Annotated[str, Depends(oauth2_scheme)], session: DbSession, source: Source) -> None:
    flows.log_out(session=session, user=user, token=token, source=source)


@router.post("/auth/logout-all", response_model=SessionsEnded, summary="Log out everywhere: every token and page session of yours ends")
def logout_all(user: CurrentUser, session: DbSession, source: Source) -> SessionsEnded:
    return SessionsEnded(sessions_ended=flows.log_out_everywhere(session=session, user=user, source=source))


@router.post("/auth/password", response_model=TokenRead, summary="Change your password: every session ends; a new token is returned")
def change_password(body: PasswordChange, user: CurrentUser, session: DbSession, res: ResourcesDep, source: Source) -> TokenRead:
    try:
        token, lifetime = flows.change_password(
            res=res, session=session, user=user, current_password=body.current_password, new_password=body.new_password, source=source
        )
    except PasswordChangeRefused as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    return TokenRead(access_token=token, expires_in=lifetime)


@router.post(
    "/users/{username}/deactivate", response_model=UserStatus, tags=["users"], summary="Deactivate a user; their sessions end (admin)"
)
def deactivate(username: str, user: CurrentUser, session: DbSession, source: Source) -> UserStatus:
    ended = _set_active(session=session, admin=user, username=username, active=False, source=source)
    return UserStatus(username=username, active=False, sessions_ended=ended)


@router.post("/users/{username}/activate", response_model=UserStatus, tags=["users"], summary="Reactivate a user (admin)")
def activate(username: str, user: CurrentUser, session: DbSession, source: Source) -> UserStatus:
    _set_active(session=session, admin=user, username=username, active=True, source=source)
    return UserStatus(username=username, active=True, sessions_ended=0)


@router.post("/users/{username}/logout-all", response_model=UserStatus, tags=["users"], summary="End every session of a user (admin)")
def end_sessions(username: str, user: CurrentUser, session: DbSession, source: Source) -> UserStatus:
    try:
        ended = flows.end_sessions(session=session, admin=user, username=username, source=source)
    except flows.UserNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    target = flows.service.get_by_username(session=session, username=username)
    return UserStatus(username=username, active=bool(target and target.active), sessions_ended=ended)


def _set_active(*, session, admin, username: str, active: bool, source: str) -> int:  # type: ignore[no-untyped-def]
    try:
        return flows.set_active(session=session, admin=admin, username=username, active=active, source=source)
    except flows.UserNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
