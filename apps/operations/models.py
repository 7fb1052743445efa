from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class AuditEntry(models.Model):
    """Who did what, when, from where: every admin and broker-staff action (and a trader's
    static-IP change). Append-only: a database trigger refuses UPDATE and DELETE.

    The actor is copied, not referenced: an entry outlives the account and is never rewritten
    (a foreign key's ON DELETE SET NULL would be an UPDATE the trigger refuses)."""

    at = models.DateTimeField(default=timezone.now)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_email = models.CharField(max_length=254, blank=True, default="")
    actor_role = models.CharField(max_length=16, blank=True, default="")
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=32, blank=True, default="")
    target_id = models.CharField(max_length=64, blank=True, default="")
    detail = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    ip = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["at"]),
            models.Index(fields=["action", "at"]),
            models.Index(fields=["target_type", "target_id"]),
            models.Index(fields=["actor_id", "at"]),
        ]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_email or '-'} {self.action} {self.target_type}:{self.target_id}"


class KillScope(models.TextChoices):
    GLOBAL = "global", "Global"
    USER = "user", "User"
    BROKER = "broker", "Broker"
    STRATEGY = "strategy", "Strategy"


class KillSwitch(models.Model):
    """A halt of order flow: everything, one trader, one broker's flow, or one strategy.

    While active its field in the Redis hash `kill:active` makes the engine refuse new orders
    (apps.operations.kill.blocked_reason); only square-off exits (reason KILL) pass."""

    scope = models.CharField(max_length=16, choices=KillScope.choices)
    # "" for global; the user id, broker name or strategy id otherwise.
    target = models.CharField(max_length=64, blank=True, default="")
    active = models.BooleanField(default=True)
    reason = models.CharField(max_length=300)
    square_off = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)
    release_reason = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "target"], condition=models.Q(active=True), name="one_active_kill_switch_per_target"
            ),
            models.CheckConstraint(
                condition=(models.Q(scope="global") & models.Q(target=""))
                | (~models.Q(scope="global") & ~models.Q(target="")),
                name="kill_switch_target_matches_scope",
            ),
        ]
        indexes = [models.Index(fields=["active", "scope"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.field} ({'active' if self.active else 'released'})"

    @property
    def field(self) -> str:
        """Its field in the Redis hash `kill:active`."""
        return "global" if self.scope == KillScope.GLOBAL else f"{self.scope}:{self.target}"


class SystemSetting(models.Model):
    """A runtime setting or feature flag, changed by admins without a deploy (audited)."""

    key = models.CharField(max_length=64, unique=True)
    value = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key


class StaticIp(models.Model):
    """The static IP addresses a client registered for one broker account (SEBI's retail-algo
    framework: orders come from registered IPs). Set by the trader, seen by the broker's staff."""

    broker_account = models.OneToOneField(
        "broker_accounts.BrokerAccount", on_delete=models.CASCADE, related_name="static_ip"
    )
    primary = models.GenericIPAddressField()
    secondary = models.GenericIPAddressField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "static IP"
        verbose_name_plural = "static IPs"

    def __str__(self) -> str:
        return f"{self.broker_account_id}: {self.primary}" + (f", {self.secondary}" if self.secondary else "")
