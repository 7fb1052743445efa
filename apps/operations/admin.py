from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.core.errors import ApplicationError

from . import services
from .models import AuditEntry, KillSwitch, StaticIp, SystemSetting


def _ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR") or ""


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit trail is append-only (a trigger refuses UPDATE and DELETE): read it here."""

    list_display = ("at", "actor_email", "actor_role", "action", "target_type", "target_id", "ip")
    list_filter = ("action", "actor_role", "target_type")
    search_fields = ("actor_email", "action", "target_id")
    date_hierarchy = "at"

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        return [f.name for f in AuditEntry._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(KillSwitch)
class KillSwitchAdmin(admin.ModelAdmin):
    """Engage from the add form (it runs the same service as the API, audited); release with
    the action. A switch is never edited."""

    list_display = ("id", "scope", "target", "active", "reason", "square_off", "created_by", "created_at", "released_at")
    list_filter = ("active", "scope")
    search_fields = ("target", "reason")
    fields = ("scope", "target", "reason", "square_off")
    actions = ("release",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return []
        return [f.name for f in KillSwitch._meta.fields]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return self.fields
        return [f.name for f in KillSwitch._meta.fields]

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: KillSwitch, form: Any, change: bool) -> None:
        if change:
            return
        try:
            result = services.kill_switch_engage(
                actor=request.user, scope=obj.scope, target=obj.target, reason=obj.reason,
                square_off=obj.square_off, ip=_ip(request),
            )
        except ApplicationError as exc:
            self.message_user(request, f"Not engaged: {exc.message} {exc.fields}", messages.ERROR)
            return
        obj.pk = result.switch.pk
        self.message_user(
            request, f"Engaged: {result.stopped} strategies stopped, {result.squared_off} positions squared off.",
            messages.WARNING,
        )

    @admin.action(description="Release selected kill switches")
    def release(self, request: HttpRequest, queryset: QuerySet[KillSwitch]) -> None:
        released = 0
        for switch in queryset.filter(active=True):
            services.kill_switch_release(actor=request.user, switch=switch, reason="Released in Django Admin", ip=_ip(request))
            released += 1
        self.message_user(request, f"Released {released} kill switches.", messages.SUCCESS)


@admin.register(SystemSetting)
class SystemSettingAdmin(admin.ModelAdmin):
    """Edits go through settings_update, so they are validated and audited like the API's."""

    list_display = ("key", "value", "updated_by", "updated_at")
    search_fields = ("key",)
    fields = ("key", "value")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["key"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: SystemSetting, form: Any, change: bool) -> None:
        try:
            services.settings_update(actor=request.user, values={obj.key: obj.value}, ip=_ip(request))
        except ApplicationError as exc:
            self.message_user(request, f"Not saved: {exc.fields or exc.message}", messages.ERROR)
            return
        obj.pk = SystemSetting.objects.filter(key=obj.key).values_list("pk", flat=True).first()

    def delete_model(self, request: HttpRequest, obj: SystemSetting) -> None:
        services.settings_update(actor=request.user, values={obj.key: None}, ip=_ip(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[SystemSetting]) -> None:
        keys = list(queryset.values_list("key", flat=True))
        if keys:
            services.settings_update(actor=request.user, values=dict.fromkeys(keys), ip=_ip(request))


@admin.register(StaticIp)
class StaticIpAdmin(admin.ModelAdmin):
    """Registered by traders through the API (audited); read-only here."""

    list_display = ("broker_account", "primary", "secondary", "updated_by", "updated_at")
    search_fields = ("primary", "secondary", "broker_account__user__email")
    list_filter = ("broker_account__broker",)

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        return [f.name for f in StaticIp._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
