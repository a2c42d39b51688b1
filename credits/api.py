from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from credits.models import CreditLedger
from credits.selectors import ledger_rows
from credits.services import credits_current
from novelproc.schema import errors


class LedgerRowSerializer(serializers.ModelSerializer):
    class Meta:
        model = CreditLedger
        fields = ["id", "created_at", "kind", "amount", "job", "note"]


class CreditsMe(APIView):
    @extend_schema(
        responses={
            200: inline_serializer(
                "Credits",
                {
                    "balance": serializers.IntegerField(),
                    "granted": serializers.IntegerField(),
                    "used": serializers.IntegerField(),
                    "refunded": serializers.IntegerField(),
                    "reserved": serializers.IntegerField(),
                },
            ),
            **errors(401),
        }
    )
    def get(self, request):
        summary = credits_current(user=request.user)
        return Response(
            {
                "balance": summary.balance,
                "granted": summary.granted,
                "used": summary.used,
                "refunded": summary.refunded,
                "reserved": summary.reserved,
            }
        )


class CreditsLedger(ListAPIView):
    serializer_class = LedgerRowSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CreditLedger.objects.none()
        return ledger_rows(user=self.request.user)
