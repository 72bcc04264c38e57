"""Newsroom accounts on Django's auth: roles, API tokens, login throttling and the audit log.

A role is one of the groups ``author``, ``editor``, ``admin`` (qalam.newsroom.workflow.ROLES);
an account has exactly one. Passwords are hashed by Django (PBKDF2 by default); API tokens are
random and only their SHA-256 is stored, so a copy of the database gives no one a working token.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from qalam.newsroom.workflow import ROLES, Actor

from .models import ApiToken, AuditEntry, LoginAttempt

#: Failed logins allowed per account, and per address, in the window before logins are refused.
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_IP = 20
FAILURE_WINDOW = timedelta(minutes=15)
TOKEN_PREFIX = "qlm_"


class AccountError(ValueError):
    """A user command or form asked for something impossible; the message says what to do."""


def ensure_roles() -> None:
    for role in ROLES:
        Group.objects.get_or_create(name=role)


def role_of(user) -> str | None:
    """The account's role, or None for anonymous and disabled accounts."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    cached = getattr(user, "_qalam_role", "unset")
    if cached != "unset":
        return cached
    names = set(user.groups.values_list("name", flat=True))
    role = next((r for r in reversed(ROLES) if r in names), None)
    if role is None and user.is_superuser:
        role = "admin"
    user._qalam_role = role
    return role


def actor_for(user) -> Actor | None:
    role = role_of(user)
    if role is None:
        return None
    name = user.get_full_name().strip() or user.username
    return Actor(user.username, name, user.email or f"{user.username}@users.qalam.invalid", role)


# --- account changes (qalam user …, the admin's screens) ------------------------------------------
def _check_role(role: str) -> None:
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")


def add_user(username: str, role: str, password: str, *, email: str = "", name: str = "",
             by: str = "qalam user") -> object:
    _check_role(role)
    User = get_user_model()
    username = username.strip()
    try:
        User._meta.get_field("username").run_validators(username)
    except ValidationError as err:
        raise AccountError(f"the name {username!r} cannot be used: {' '.join(err.messages)}") from None
    if User.objects.filter(username=username).exists():
        raise AccountError(f"there is already an account {username!r} (qalam user set-role changes its role)")
    user = User(username=username, email=email.strip())
    if name:
        first, _, last = name.strip().partition(" ")
        user.first_name, user.last_name = first, last
    try:
        validate_password(password, user)
    except ValidationError as err:
        raise AccountError("the password is not accepted: " + " ".join(err.messages)) from None
    user.set_password(password)
    with transaction.atomic():
        user.save()
        user.groups.set([Group.objects.get_or_create(name=role)[0]])
        audit(by, "user add", username, role)
    return user


def get_user(username: str):
    User = get_user_model()
    try:
        return User.objects.get(username=username)
    except User.DoesNotExist:
        raise AccountError(f"there is no account {username!r} (qalam user list shows them)") from None


def set_role(username: str, role: str, *, by: str = "qalam user") -> None:
    _check_role(role)
    user = get_user(username)
    with transaction.atomic():
        user.groups.set([Group.objects.get_or_create(name=role)[0]])
        audit(by, "user set-role", username, role)


def disable(username: str, *, by: str = "qalam user") -> None:
    """Disabled accounts cannot log in; their sessions and tokens stop working at once."""
    user = get_user(username)
    with transaction.atomic():
        user.is_active = False
        user.save(update_fields=["is_active"])
        ApiToken.objects.filter(user=user).update(revoked=True)
        from django.contrib.sessions.models import Session

        for session in Session.objects.all().iterator():
            if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
                session.delete()
        audit(by, "user disable", username, "")


def users() -> list[dict]:
    User = get_user_model()
    out = []
    for user in User.objects.order_by("username").prefetch_related("groups"):
        role = next((r for r in reversed(ROLES) if r in {g.name for g in user.groups.all()}), "")
        out.append({"username": user.username, "name": user.get_full_name(), "email": user.email,
                    "role": role or ("admin" if user.is_superuser else ""), "active": user.is_active,
                    "last_login": user.last_login})
    return out


# --- API tokens -------------------------------------------------------------------------------------
def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token(username: str, *, by: str = "qalam user") -> str:
    """A new token for the account (shown once; only its hash is kept)."""
    user = get_user(username)
    if not user.is_active:
        raise AccountError(f"the account {username!r} is disabled")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, digest=_digest(token), prefix=token[:8])
    audit(by, "token add", username, token[:8])
    return token


def user_for_token(token: str):
    if not token or len(token) > 200:
        return None
    try:
        row = ApiToken.objects.select_related("user").get(digest=_digest(token.strip()), revoked=False)
    except ApiToken.DoesNotExist:
        return None
    if not row.user.is_active:
        return None
    now = timezone.now()
    if row.last_used is None or now - row.last_used > timedelta(minutes=5):
        ApiToken.objects.filter(pk=row.pk).update(last_used=now)
    return row.user


# --- login throttling ---------------------------------------------------------------------------------
def login_allowed(username: str, ip: str) -> bool:
    since = timezone.now() - FAILURE_WINDOW
    recent = LoginAttempt.objects.filter(when__gte=since)
    return (recent.filter(username=username[:150]).count() < MAX_FAILURES_PER_USER
            and recent.filter(ip=ip[:64]).count() < MAX_FAILURES_PER_IP)


def login_failed(username: str, ip: str) -> None:
    LoginAttempt.objects.create(username=username[:150], ip=ip[:64])
    LoginAttempt.objects.filter(when__lt=timezone.now() - 2 * FAILURE_WINDOW).delete()


def login_succeeded(username: str) -> None:
    LoginAttempt.objects.filter(username=username[:150]).delete()


# --- audit log ----------------------------------------------------------------------------------------
def audit(actor: str, action: str, target: str, detail: str = "") -> None:
    AuditEntry.objects.create(actor=str(actor)[:150], action=action[:40], target=str(target)[:600],
                              detail=str(detail)[:600])


def newsroom_audit(actor: Actor, action: str, target: str, detail: str) -> None:
    """The newsroom's audit callback: publish, unpublish, schedule, restore and review steps."""
    if action in ("publish", "unpublish", "schedule", "restore", "send back", "feature", "settings"):
        audit(actor.username, action, target, detail)


def set_password(username: str, password: str, *, by: str = "qalam user") -> None:
    user = get_user(username)
    try:
        validate_password(password, user)
    except ValidationError as err:
        raise AccountError("the password is not accepted: " + " ".join(err.messages)) from None
    user.set_password(password)  # changes the session hash: other sessions end
    user.save(update_fields=["password"])
    audit(by, "user password", username, "")


# --- pages with Grav access rules -----------------------------------------------------------------------
def may_read_private(user, access: dict[str, bool]) -> bool:
    """Whether the account meets a page's Grav ``access:`` rules (every rule set to true).

    ``site.*`` rules (``site.login``, the login plugin's) are met by any newsroom account;
    ``admin.super`` by an admin; other ``admin.*`` rules (``admin.login``, ``admin.pages``) by an
    editor or an admin. A rule Qalam does not know is not met.
    """
    role = role_of(user)
    if role is None:
        return False
    for rule, needed in access.items():
        if not needed:
            continue
        if rule == "admin.super":
            ok = role == "admin"
        elif rule.startswith("admin."):
            ok = role in ("editor", "admin")
        elif rule.startswith("site."):
            ok = True
        else:
            ok = False
        if not ok:
            return False
    return True
