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
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "label"], name="broker_account_label_unique_per_user")]
        indexes = [models.Index(fields=["broker", "status"])]

    def __str__(self) -> str:
        return f"{self.label} ({self.broker})"
