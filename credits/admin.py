from django.contrib import admin

from credits.models import CreditLedger


@admin.register(CreditLedger)
class CreditLedgerAdmin(admin.ModelAdmin):
    """Read-only: the ledger is append-only; operators grant through services."""

    list_display = ["id", "created_at", "user", "kind", "amount", "job", "note"]
    list_filter = ["kind", "created_at"]
    search_fields = ["user__username", "idempotency_key", "note", "=job__id"]
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in CreditLedger._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
