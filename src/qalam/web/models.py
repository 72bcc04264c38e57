"""What the newsroom keeps in the site's database (accounts themselves are Django's ``auth.User``).

Content is never here: pages stay Grav files in git (qalam.newsroom). The database holds what is
not content: API tokens (hashed), the audit log, autosaved drafts and login attempts.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    """A token for ``Authorization: Token <token>``; only its SHA-256 is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8, help_text="the token's first characters, to tell tokens apart")
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)


class AuditEntry(models.Model):
    """Publish, unpublish, schedule, restore, role and account changes: who, when, what."""

    when = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.CharField(max_length=150)
    action = models.CharField(max_length=40)
    target = models.CharField(max_length=600)
    detail = models.CharField(max_length=600, blank=True, default="")

    class Meta:
        ordering = ["-when", "-id"]


class Autosave(models.Model):
    """A draft the editor saved for one person while typing (outside git until they save)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="autosaves")
    key = models.CharField(max_length=700, help_text="lang:route, or new:<id> for a page not created yet")
    base_etag = models.CharField(max_length=80, blank=True, default="")
    data = models.JSONField()
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_autosave_per_page")]


class LoginAttempt(models.Model):
    """Failed logins, for throttling (qalam.web.accounts.login_allowed)."""

    when = models.DateTimeField(auto_now_add=True, db_index=True)
    username = models.CharField(max_length=150, db_index=True)
    ip = models.CharField(max_length=64, db_index=True)
