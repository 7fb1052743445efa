from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from . import services
from .models import User


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
