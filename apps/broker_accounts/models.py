from __future__ import annotations

from django.conf import settings
from django.db import models

from brokers.registry import BROKER_CHOICES


class BrokerAccountStatus(models.TextChoices):
    ACTIVE = "ACTIVE", "Active"
    NEEDS_LOGIN = "NEEDS_LOGIN", "Re-login needed"
    DISABLED = "DISABLED", "Disabled"


class BrokerAccount(models.Model):
    """A trader's connection to one broker. Credentials are sealed per field (see crypto.py)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="broker_accounts")
    broker = models.CharField(max_length=32, choices=BROKER_CHOICES)
    label = models.CharField(max_length=80)
    status = models.CharField(max_length=16, choices=BrokerAccountStatus.choices, default=BrokerAccountStatus.ACTIVE)
    # {field name: "v1:<kid>:<nonce+ciphertext>"}; never plaintext.
    credentials = models.JSONField(default=dict, blank=True)
    token_valid_until = models.DateTimeField(null=True, blank=True)
    status_reason = models.CharField(max_length=200, blank=True, default="")
    # The broker's own id of the logged-in user (Kite user_id, ...): a later login must be the
    # same person, so a login link cannot bind somebody else's broker session to this account.
    broker_user_id = models.CharField(max_length=64, blank=True, default="")
    # When the trader was told this account needs a fresh login (cleared by a login), so each
    # expiry is announced once.
    login_notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "label"], name="broker_account_label_unique_per_user")]
        indexes = [models.Index(fields=["broker", "status"])]

    def __str__(self) -> str:
        return f"{self.label} ({self.broker})"
