from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from search_api.deps import CurrentUser, DbSession, Source
from search_api.notifications import service
from search_api.notifications.schemas import ContactRead, ContactUpdate, InboxRead, NodalUpdate
from search_api.users.models import UserRow

router = APIRouter(tags=["notifications"])


@router.get("/notifications", response_model=list[InboxRead], summary="Your in-app notifications, newest first")
def inbox(user: CurrentUser, session: DbSession, unread: bool = False) -> list[InboxRead]:
    return [InboxRead.model_validate(r) for r in service.list_inbox(session=session, user=user, unread_only=unread)]


@router.get("/notifications/unread", summary="The bell's unread count")
def unread(user: CurrentUser, session: DbSession) -> dict:
    return {"unread": service.unread_count(session=session, user=user)}


@router.post("/notifications/read", summary="Mark all your notifications read")
def read_all(user: CurrentUser, session: DbSession) -> dict:
    return {"marked": service.mark_read(session=session, user=user)}


@router.get("/me/contact", response_model=ContactRead, summary="Your email, phone and notification preferences")
def my_contact(user: CurrentUser, session: DbSession) -> ContactRead:
    return ContactRead.model_validate(service.contact_of(session=session, user_pk=user.pk))


@router.put("/me/contact", response_model=ContactRead)
def set_my_contact(body: ContactUpdate, user: CurrentUser, session: DbSession, source: Source) -> ContactRead:
    return ContactRead.model_validate(service.update_preferences(session=session, user=user, source=source, **body.model_dump()))


@router.put(
    "/users/{username}/nodal", response_model=ContactRead, summary="Name or unname a nodal officer (state users in their state; admin)"
)
def set_nodal(username: str, body: NodalUpdate, user: CurrentUser, session: DbSession, source: Source) -> ContactRead:
    target = session.scalar(select(UserRow).where(UserRow.username == username))
    row = service.set_nodal_officer(session=session, actor=user, target=target, nodal=body.nodal, source=source)
    return ContactRead.model_validate(row)
