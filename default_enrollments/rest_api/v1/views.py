"""
Read-only API over default enrollment intentions, at edx-enterprise's paths and in its JSON shapes.

Views stay thin: who may see what is decided here, everything else is ``default_enrollments.api``.
Deliberate differences from edx-enterprise (all additive, so its clients keep working):

* ``lms_user_id`` is honoured for staff only; anyone else always gets their own status, as in edx-enterprise.
* retrieve checks the intention's own customer (403 for someone else's); ``enterprise_customer_uuid`` is optional.
* responses carry ``catalog_unavailable`` and each learner-status intention a ``reason``.
"""
from __future__ import annotations

import logging
from uuid import UUID

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, PermissionDenied
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from default_enrollments import api
from default_enrollments.data import Reason
from default_enrollments.models import get_intention_model
from default_enrollments.rest_api.v1.authentication import authentication_classes
from default_enrollments.rest_api.v1.permissions import (
    IsCustomerAdminForIntention,
    base_permission_classes,
    is_customer_admin,
    is_staff,
)
from default_enrollments.rest_api.v1.schema import documented
from default_enrollments.rest_api.v1.serializers import (
    DefaultEnterpriseEnrollmentIntentionSerializer,
    ErrorSerializer,
    LearnerStatusSerializer,
)

logger = logging.getLogger(__name__)

MAX_USER_ID = 2**63 - 1  # larger ids exist nowhere and overflow some database drivers


class BadRequest(APIException):
    """400 with ``{"detail": "<what is wrong>"}``, the shape edx-enterprise's clients read."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = gettext_lazy("Bad request.")
    default_code = "bad_request"


class IntentionPagination(PageNumberPagination):
    """The page envelope of Open edX APIs (edx-drf-extensions' ``DefaultPagination``), plus ``catalog_unavailable``."""

    page_size = 10
    page_size_query_param = "page_size"
    max_page_size = 100
    catalog_unavailable = False

    def get_paginated_response(self, data) -> Response:
        return Response(
            {
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "count": self.page.paginator.count,
                "num_pages": self.page.paginator.num_pages,
                "current_page": self.page.number,
                "start": (self.page.number - 1) * self.get_page_size(self.request),
                "results": data,
                "catalog_unavailable": self.catalog_unavailable,
            }
        )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {
            "type": "object",
            "required": ["count", "results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "count": {"type": "integer"},
                "num_pages": {"type": "integer"},
                "current_page": {"type": "integer"},
                "start": {"type": "integer"},
                "results": schema,
                "catalog_unavailable": {"type": "boolean"},
            },
        }


CUSTOMER_PARAMETER = OpenApiParameter(
    "enterprise_customer_uuid", OpenApiTypes.UUID, OpenApiParameter.QUERY, required=True,
    description="The enterprise customer whose intentions are wanted.",
)


ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="A query parameter is missing or wrong."),
    401: OpenApiResponse(ErrorSerializer, description="Not logged in."),
    403: OpenApiResponse(ErrorSerializer, description="Not allowed to see this customer's intentions."),
}


class DefaultEnterpriseEnrollmentIntentionViewSet(viewsets.ReadOnlyModelViewSet):
    """Intentions for a customer's staff and admins; each learner's own status for that learner."""

    authentication_classes = authentication_classes()
    permission_classes = [*base_permission_classes(), IsCustomerAdminForIntention]
    serializer_class = DefaultEnterpriseEnrollmentIntentionSerializer
    pagination_class = IntentionPagination
    lookup_field = "uuid"
    schema = AutoSchema()

    def get_queryset(self):
        return get_intention_model().available_objects.order_by("content_key", "uuid")

    def requested_customer_uuid(self, *, required: bool = True) -> UUID | None:
        raw = self.request.query_params.get("enterprise_customer_uuid")
        if not raw:
            if required:
                raise BadRequest(_("enterprise_customer_uuid is a required query parameter."))
            return None
        try:
            return UUID(raw)
        except ValueError:
            raise BadRequest(_("enterprise_customer_uuid query parameter is not a valid UUID.")) from None

    @documented(
        summary="List a customer's default enrollment intentions",
        parameters=[CUSTOMER_PARAMETER],
        responses={
            200: DefaultEnterpriseEnrollmentIntentionSerializer(many=True),
            **ERRORS,
            404: OpenApiResponse(ErrorSerializer, description="No such page."),
        },
    )
    def list(self, request, *args, **kwargs) -> Response:
        customer_uuid = self.requested_customer_uuid()
        if not is_customer_admin(request, customer_uuid):
            raise PermissionDenied(_("You do not administer this enterprise customer."))
        page = self.paginate_queryset(self.get_queryset().filter(enterprise_customer_id=customer_uuid))
        resolved = self._resolved(page)
        self.paginator.catalog_unavailable = self._catalog_unavailable(resolved)
        return self.get_paginated_response(self.get_serializer(resolved, many=True).data)

    @documented(
        summary="One default enrollment intention",
        parameters=[
            OpenApiParameter("uuid", OpenApiTypes.UUID, OpenApiParameter.PATH),
            OpenApiParameter(
                "enterprise_customer_uuid", OpenApiTypes.UUID, OpenApiParameter.QUERY, required=False,
                description="Accepted for compatibility; the intention's own customer decides who may see it.",
            ),
        ],
        responses={
            200: DefaultEnterpriseEnrollmentIntentionSerializer,
            **ERRORS,
            404: OpenApiResponse(ErrorSerializer, description="No such intention."),
        },
    )
    def retrieve(self, request, *args, **kwargs) -> Response:
        self.requested_customer_uuid(required=False)  # malformed -> 400, as for the other actions
        (resolved,) = self._resolved([self.get_object()])
        return Response(self.get_serializer(resolved).data)

    @documented(
        summary="A learner's default enrollments for a customer, grouped by what realization would do",
        parameters=[
            CUSTOMER_PARAMETER,
            OpenApiParameter(
                "lms_user_id", OpenApiTypes.INT, OpenApiParameter.QUERY, required=False,
                description="Staff only: the learner to report on. Ignored for everyone else, who get their own.",
            ),
        ],
        responses={200: LearnerStatusSerializer, 400: ERRORS[400], 401: ERRORS[401]},
    )
    @action(detail=False, methods=["get"], url_path="learner-status", permission_classes=base_permission_classes())
    def learner_status(self, request) -> Response:
        customer_uuid = self.requested_customer_uuid()
        learner = self._learner_for_status()
        learner_status = api.get_learner_status(learner, customer_uuid)
        if learner_status is None:
            raise BadRequest(
                _("User with lms_user_id %(lms_user_id)s is not associated with the enterprise customer %(customer)s.")
                % {"lms_user_id": learner.pk, "customer": customer_uuid}
            )
        return Response(LearnerStatusSerializer(learner_status).data)

    def _learner_for_status(self):
        """The requesting user, or for staff the one named by ``lms_user_id``."""
        raw = self.request.query_params.get("lms_user_id")
        if raw is None or raw == "" or not is_staff(self.request):
            return self.request.user
        try:
            lms_user_id = int(raw)
        except ValueError:
            raise BadRequest(_("lms_user_id query parameter is not an integer.")) from None
        user_model = get_user_model()
        learner = None
        if 0 < lms_user_id <= MAX_USER_ID:
            learner = user_model._default_manager.filter(pk=lms_user_id).first()
        if learner is None:
            raise BadRequest(_("User with lms_user_id %(lms_user_id)s not found.") % {"lms_user_id": lms_user_id})
        return learner

    @staticmethod
    def _resolved(intentions) -> list:
        """The page's intentions as value objects, their runs and catalogs resolved in one batch."""
        return list(api.resolved_intentions(intentions or []).values())

    @staticmethod
    def _catalog_unavailable(resolved: list) -> bool:
        return any(intention.resolution.reason == Reason.CATALOG_UNAVAILABLE for intention in resolved)
