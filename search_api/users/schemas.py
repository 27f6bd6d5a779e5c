from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["police", "cci", "cwc", "jjb", "dcpu", "state", "central", "admin"]
ROLES: tuple[str, ...] = get_args(Role)


class UserBase(BaseModel):
    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    role: Role
    state: str = ""
    district: str = ""
    unit: str = ""


class UserCreate(UserBase):
    password: str = Field(min_length=10, max_length=200)


class UserRead(UserBase):
    model_config = ConfigDict(from_attributes=True)


class TokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class PasswordChange(BaseModel):
    current_password: str = Field(max_length=200)
    new_password: str = Field(min_length=10, max_length=200)


class SessionsEnded(BaseModel):
    sessions_ended: int


class UserStatus(BaseModel):
    username: str
    active: bool
    sessions_ended: int
