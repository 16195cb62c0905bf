"""Delivery: the shared read-only ModelAdmin for data that only the sync engine writes; API keys."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.template.response import TemplateResponse

from config.apikeys import create_key, revoke_key
from config.models import ApiKey


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """Shown so operators can see state; never edited by hand (projections are rebuilt from events)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ApiKeyForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ("name", "can_read", "can_write")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("can_read") or data.get("can_write")):
            raise ValidationError("Give the key at least one scope.")
        return data


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """API keys: add one (the key is shown once, on the page after saving), revoke, never edit or delete.

    Kept after revocation: the key's name stays in the command ids it issued (``key-<id>/…``).
    """

    list_display = ("name", "prefix", "can_read", "can_write", "created_at", "last_used_at", "revoked_at")
    list_filter = ("can_read", "can_write", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "prefix")
    actions = ("revoke",)
    form = ApiKeyForm
    fields = ("name", "can_read", "can_write")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is None:
            return ()
        return ("name", "prefix", "can_read", "can_write", "created_at", "last_used_at", "revoked_at")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return self.fields if obj is None else self.get_readonly_fields(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        scopes = [scope for scope, granted in (("read", obj.can_read), ("write", obj.can_write)) if granted]
        key, raw_key = create_key(obj.name, scopes)  # the form checked the name and the scopes
        obj.pk, obj.prefix, obj.digest = key.pk, key.prefix, key.digest
        request._new_api_key = raw_key  # type: ignore[attr-defined]  # shown once, by response_add

    def response_add(self, request: HttpRequest, obj: ApiKey, post_url_continue: str | None = None) -> Any:
        context = {
            **self.admin_site.each_context(request),
            "key": obj,
            "raw_key": request._new_api_key,  # type: ignore[attr-defined]
            "opts": self.opts,
            "title": f"API key {obj.name} created",
        }
        return TemplateResponse(request, "admin/config/apikey/created.html", context)

    @admin.action(description="Revoke the selected keys (they stop working at once)")
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        names = [revoke_key(key.name).name for key in queryset.filter(revoked_at__isnull=True)]
        self.message_user(
            request, f"Revoked {len(names)} key(s): {', '.join(names) or 'none'}.", messages.SUCCESS
        )
