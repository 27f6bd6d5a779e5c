from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

Role = Literal["police", "cci", "cwc", "jjb", "dcpu", "state", "central", "admin"]
ROLES: tuple[str, ...] = get_args(Role)


# roles whose jurisdiction is a district (or a unit within one) and roles identified by a unit code
DISTRICT_ROLES = frozenset({"police", "cci", "cwc", "jjb", "dcpu"})
UNIT_CODE_ROLES = frozenset({"police", "cci"})


class UserBase(BaseModel):
    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    role: Role
    state: str = Field(default="", max_length=100)
    district: str = Field(default="", max_length=100)
    unit: str = Field(default="", max_length=200)
    unit_code: str = Field(default="", max_length=64, pattern=r"^[A-Za-z0-9_./ -]*$")


class UserCreate(UserBase):
    password: str = Field(min_length=10, max_length=200)

    @model_validator(mode="after")
    def _unit_identity(self) -> UserCreate:
        """A district-level user names its district with its state; police and CCI their unit's code."""
        missing = []
        if self.role in DISTRICT_ROLES or self.role == "state":
            missing += [f for f in ("state",) if not self.state.strip()]
        if self.role in DISTRICT_ROLES:
            missing += [f for f in ("district",) if not self.district.strip()]
        if self.role in UNIT_CODE_ROLES and not self.unit_code.strip():
            missing.append("unit_code (CCTNS police-station code or CCI registration number)")
        if missing:
            raise ValueError(f"a {self.role} user needs: {', '.join(missing)}")
        return self


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
