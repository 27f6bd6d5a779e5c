"""Request dependencies as ``Annotated`` aliases: resources, a committed session, the user."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from search_api.fusion.service import Matcher
from search_api.resources import Resources
from search_api.users import service as users
from search_api.users.models import UserRow

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/auth/token")


def get_resources(request: Request) -> Resources:
    return request.app.state.resources


ResourcesDep = Annotated[Resources, Depends(get_resources)]


def get_session(res: ResourcesDep) -> Iterator[Session]:
    """One session per request: committed on success, rolled back on error (services never commit)."""
    with res.session_factory() as session:
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise


# "function" scope: commit before the answer leaves. With the default ("request") the commit
# ran after the response was sent, so a client following a redirect could beat it (a fresh
# login's token not yet stored: the browser test failed now and then on exactly that).
DbSession = Annotated[Session, Depends(get_session, scope="function")]


def get_current_user(token: Annotated[str, Depends(oauth2_scheme)], session: DbSession) -> UserRow:
    user = users.get_by_token(session=session, token=token)
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "not logged in, or the session expired", headers={"WWW-Authenticate": "Bearer"})
    return user


CurrentUser = Annotated[UserRow, Depends(get_current_user)]


def client_address(request: Request) -> str:
    """Where a request came from, for the audit trail (the proxy's view when behind one)."""
    return request.client.host if request.client else ""


Source = Annotated[str, Depends(client_address)]


_matcher_made = threading.Lock()


def matcher_of(app: FastAPI) -> Matcher:
    """The process's one matcher (it caches record views and name frequencies), made on first
    use; the requests and the match worker share it."""
    if getattr(app.state, "matcher", None) is None:
        with _matcher_made:
            if getattr(app.state, "matcher", None) is None:
                app.state.matcher = Matcher(app.state.resources, getattr(app.state, "fusion_model", None))
    return app.state.matcher


def get_matcher(request: Request) -> Matcher:
    return matcher_of(request.app)


MatcherDep = Annotated[Matcher, Depends(get_matcher)]
