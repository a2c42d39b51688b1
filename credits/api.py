from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from credits.models import CreditLedger
from credits.selectors import ledger_rows
from credits.serializers import CreditsSerializer, LedgerRowSerializer
from credits.services import credits_current
from novelproc.schema import errors


class CreditsMe(APIView):
    @extend_schema(responses={200: CreditsSerializer, **errors(401)})
    def get(self, request):
        return Response(CreditsSerializer(credits_current(user=request.user)).data)


@extend_schema_view(get=extend_schema(responses={200: LedgerRowSerializer(many=True), **errors(401, 404)}))
class CreditsLedger(ListAPIView):
    serializer_class = LedgerRowSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CreditLedger.objects.none()
        return ledger_rows(user=self.request.user)
