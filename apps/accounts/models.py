from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    USER = "user", "User"
    BROKER = "broker", "Broker staff"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(role=Role.ADMIN, is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in: a trader (user), an admin, or a broker's staff member."""

    email = models.EmailField(unique=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.USER)
    # For broker staff: the broker whose flow they see (a key of brokers.registry).
    broker = models.CharField(max_length=32, blank=True, default="")
    is_active = models.BooleanField(default=True, help_text="Unset to suspend: refused on the next request.")
    is_staff = models.BooleanField(default=False, help_text="May sign in to Django Admin.")
    date_joined = models.DateTimeField(default=timezone.now)
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspended_reason = models.CharField(max_length=200, blank=True, default="")

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role="broker") | ~models.Q(broker=""),
                name="broker_staff_has_broker",
            ),
        ]

    def __str__(self) -> str:
        return self.email


class TotpDevice(models.Model):
    """A user's TOTP second factor (apps.accounts.totp). `secret` is sealed with the
    broker-credential cipher bound to (user, "totp", "secret"); enforced once confirmed."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp_device")
    secret = models.CharField(max_length=255)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The last time step a code was accepted for: that step and earlier ones are spent (no replay).
    last_used_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"TOTP of user {self.user_id} ({'on' if self.confirmed_at else 'pending'})"
