from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from apps.core.filters import StrictFilterBackend
from apps.webhooks.filters import EventFilter
from apps.webhooks.models import Event, WebhookEndpoint
from apps.webhooks.pagination import NewestFirstPagination
from apps.webhooks.schema import (
    deliveries_schema,
    endpoint_schema,
    event_schema,
    redeliver_schema,
    rotate_schema,
)
from apps.webhooks.selectors import delivery_list, endpoint_list, event_data, event_list
from apps.webhooks.serializers import (
    DeliveryOutputSerializer,
    EmptyInputSerializer,
    EndpointInputSerializer,
    EndpointOutputSerializer,
    EndpointSecretOutputSerializer,
    EndpointUpdateSerializer,
    EventOutputSerializer,
)
from apps.webhooks.services import (
    delivery_redeliver,
    endpoint_create,
    endpoint_delete,
    endpoint_rotate_secret,
    endpoint_update,
)

ID_PATTERN = r"[0-9]{1,18}"  # within BIGINT: a longer id is a 404, not a 500


@endpoint_schema
class WebhookEndpointViewSet(viewsets.GenericViewSet):
    """The caller's webhook endpoints; another user's are 404."""

    serializer_class = EndpointOutputSerializer
    pagination_class = None
    filter_backends = []
    lookup_field = "pk"
    lookup_url_kwarg = "id"
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WebhookEndpoint.objects.none()
        return endpoint_list(user_id=self.request.user.id)

    def list(self, request):
        return Response(EndpointOutputSerializer(self.get_queryset(), many=True).data)

    def create(self, request):
        data = EndpointInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        created = endpoint_create(user_id=request.user.id, **data.validated_data)
        return Response(EndpointSecretOutputSerializer(created).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request, id=None):
        return Response(EndpointOutputSerializer(self.get_object()).data)

    def partial_update(self, request, id=None):
        endpoint = self.get_object()
        data = EndpointUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = endpoint_update(endpoint=endpoint, **data.validated_data)
        return Response(EndpointOutputSerializer(endpoint).data)

    def destroy(self, request, id=None):
        endpoint_delete(endpoint=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @rotate_schema
    @action(detail=True, methods=["post"], url_path="rotate-secret", serializer_class=EmptyInputSerializer)
    def rotate_secret(self, request, id=None):
        EmptyInputSerializer(data=request.data).is_valid(raise_exception=True)
        rotated = endpoint_rotate_secret(endpoint=self.get_object())
        return Response(EndpointSecretOutputSerializer(rotated).data)

    @deliveries_schema
    @action(detail=True, methods=["get"], url_path="deliveries", pagination_class=NewestFirstPagination,
            serializer_class=DeliveryOutputSerializer)
    def deliveries(self, request, id=None):
        endpoint = self.get_object()
        page = self.paginate_queryset(delivery_list(user_id=request.user.id, endpoint_id=endpoint.pk))
        return self.get_paginated_response(DeliveryOutputSerializer(page, many=True).data)

    @redeliver_schema
    @action(detail=True, methods=["post"], url_path=rf"deliveries/(?P<delivery_id>{ID_PATTERN})/redeliver",
            serializer_class=EmptyInputSerializer)
    def redeliver(self, request, id=None, delivery_id=None):
        EmptyInputSerializer(data=request.data).is_valid(raise_exception=True)
        endpoint = self.get_object()
        delivery = delivery_list(user_id=request.user.id, endpoint_id=endpoint.pk) \
            .select_related("endpoint").filter(pk=int(delivery_id)).first()
        if delivery is None:
            raise NotFound()
        delivery = delivery_redeliver(delivery=delivery)
        return Response(DeliveryOutputSerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


@event_schema
class EventViewSet(viewsets.GenericViewSet):
    """The caller's events, newest first: what their endpoints were (or would have been) sent."""

    serializer_class = EventOutputSerializer
    pagination_class = NewestFirstPagination
    filter_backends = [StrictFilterBackend]
    filterset_class = EventFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Event.objects.none()
        return event_list(user_id=self.request.user.id)

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        data = event_data(page)
        return self.get_paginated_response([data[event.pk] for event in page])
