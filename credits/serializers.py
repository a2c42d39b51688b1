"""What the credits API answers with (and its schema documents)."""

from rest_framework import serializers

from credits.models import CreditLedger


class CreditsSerializer(serializers.Serializer):
    """The user's credits: the balance is the sum of their ledger."""

    # Renders a selectors.CreditSummary.

    balance = serializers.IntegerField()
    granted = serializers.IntegerField(help_text="Grants and operators' adjustments.")
    used = serializers.IntegerField(help_text="Charged for work done.")
    refunded = serializers.IntegerField()
    reserved = serializers.IntegerField(help_text="Held for jobs that have not finished.")


class LedgerRowSerializer(serializers.ModelSerializer):
    class Meta:
        model = CreditLedger
        fields = ["id", "created_at", "kind", "amount", "job", "note"]
