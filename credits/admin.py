import uuid

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db import IntegrityError
from django.template.response import TemplateResponse

from credits.models import CreditLedger
from credits.selectors import credit_balance
from credits.services import credits_grant


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


class GrantCreditsForm(forms.Form):
    amount = forms.IntegerField(
        min_value=-100_000, max_value=100_000, help_text="Credits per selected user; negative for a correction."
    )
    note = forms.CharField(max_length=200, initial="Granted by an operator")
    # One key per form shown: submitting the same page twice grants once.
    batch = forms.UUIDField(widget=forms.HiddenInput)

    def clean_amount(self) -> int:
        if self.cleaned_data["amount"] == 0:
            raise forms.ValidationError("Enter a number of credits other than 0.")
        return self.cleaned_data["amount"]


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class CreditUserAdmin(UserAdmin):
    list_display = [*UserAdmin.list_display, "credit_balance"]
    actions = ["grant_credits"]

    @admin.display(description="Credits")
    def credit_balance(self, user) -> int:
        return credit_balance(user=user)

    @admin.action(description="Grant credits to selected users")
    def grant_credits(self, request, queryset):
        form = GrantCreditsForm(request.POST if "apply" in request.POST else None, initial={"batch": uuid.uuid4()})
        if "apply" in request.POST and form.is_valid():
            data = form.cleaned_data
            granted = 0
            for user in queryset:
                try:
                    credits_grant(
                        user=user,
                        amount=data["amount"],
                        note=data["note"],
                        idempotency_key=f"admin-grant:{data['batch']}:{user.pk}",
                    )
                    granted += 1
                except IntegrityError:  # the same form sent twice: that user already has this grant
                    pass
            self.message_user(request, f"Granted {data['amount']} credits to {granted} user(s).", messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Grant credits",
            "form": form,
            "users": queryset,
            "opts": self.model._meta,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "action": "grant_credits",
        }
        return TemplateResponse(request, "admin/credits/grant_credits.html", context)
