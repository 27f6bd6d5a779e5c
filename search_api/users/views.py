from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordRequestForm

from search_api.deps import CurrentUser, DbSession, ResourcesDep, client_address
from search_api.users import flows
from search_api.users.schemas import TokenRead, UserRead
from search_api.users.service import LoginFailed

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
