from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.security import OAuth2PasswordRequestForm

from search_api.deps import CurrentUser, DbSession
from search_api.users import service
from search_api.users.schemas import TokenRead, UserRead

router = APIRouter()


@router.post("/auth/token", response_model=TokenRead, summary="Log in (OAuth2 password flow)")
def login(form: Annotated[OAuth2PasswordRequestForm, Depends()], session: DbSession) -> TokenRead:
    user = service.authenticate(session=session, username=form.username, password=form.password)
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong username or password", headers={"WWW-Authenticate": "Bearer"})
    token, lifetime = service.issue_token(session=session, user=user)
    return TokenRead(access_token=token, expires_in=lifetime)


@router.get("/auth/me", response_model=UserRead)
def me(user: CurrentUser) -> UserRead:
    return UserRead.model_validate(user)
