from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.core.errors import ApplicationError

from . import services
from .models import TotpDevice, User
from .throttle import login_failed, login_locked_for, login_succeeded


class TotpAdminAuthenticationForm(AdminAuthenticationForm):
    """The Django Admin sign-in form with the same rules as POST /api/auth/login: an account
    with a confirmed TOTP device needs a fresh authenticator code besides the password (a code
    is spent once, here or in the API), and failures count towards the same per-(email, IP)
    lock-out, so the six digits cannot be brute-forced through this form either."""

    totp = forms.CharField(
        label="Authenticator code",
        required=False,
        max_length=10,
        help_text="Required when two-factor sign-in is on for the account.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean(self) -> dict[str, Any]:
        email = (self.cleaned_data.get("username") or "").strip().lower()
        ip = (self.request.META.get("REMOTE_ADDR") if self.request else None) or "unknown"
        if email:
            wait = login_locked_for(email, ip)
            if wait:
                raise ValidationError(
                    f"Too many failed sign-ins for this email from your address; try again in {wait} s.",
                    code="login_locked",
                )
        try:
            cleaned = super().clean()  # password, then active + staff (AdminAuthenticationForm)
        except ValidationError:
            if email and self.user_cache is None:  # wrong password (or suspended), as in the API
                login_failed(email, ip)
            raise
        user = self.get_user()
        if user is not None:
            from .totp import totp_check_login

            try:  # only after the password matched: a stranger cannot spend the owner's codes
                totp_check_login(user=user, code=cleaned.get("totp"))
            except ApplicationError as exc:
                if exc.code == "totp_invalid":
                    login_failed(email, ip)
                raise ValidationError(exc.message, code=exc.code) from exc
            login_succeeded(email, ip)
        return cleaned


# The default admin site signs in through the form above (its template adds the code field).
admin.site.login_form = TotpAdminAuthenticationForm
admin.site.login_template = "accounts/admin_login.html"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ("id",)
    list_display = ("id", "email", "role", "broker", "is_active", "last_login", "date_joined")
    list_filter = ("role", "is_active", "broker")
    search_fields = ("email",)
    readonly_fields = ("last_login", "date_joined", "suspended_at")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Role", {"fields": ("role", "broker")}),
        ("Status", {"fields": ("is_active", "suspended_at", "suspended_reason", "is_staff", "is_superuser")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "role", "broker", "password1", "password2")}),)
    actions = ("suspend", "activate")

    @admin.action(description="Suspend selected users (refused on their next request)")
    def suspend(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        users = list(queryset.exclude(pk=request.user.pk))
        for user in users:
            services.user_suspend(actor=request.user, user=user, reason="Suspended in Django Admin")
        self.message_user(request, f"Suspended {len(users)} users.", messages.SUCCESS)

    @admin.action(description="Activate selected users")
    def activate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        users = list(queryset)
        for user in users:
            services.user_activate(actor=request.user, user=user)
        self.message_user(request, f"Activated {len(users)} users.", messages.SUCCESS)


@admin.register(TotpDevice)
class TotpDeviceAdmin(admin.ModelAdmin):
    """Reset a lost authenticator: delete the device; the user enrols again after signing in
    with the password alone. The sealed secret is never shown."""

    list_display = ("user", "confirmed_at", "created_at")
    search_fields = ("user__email",)
    fields = ("user", "confirmed_at", "created_at")
    readonly_fields = ("user", "confirmed_at", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
