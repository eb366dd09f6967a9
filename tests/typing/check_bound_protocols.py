"""The managers are what the bound models call: each client's ``services`` and
``endpoints`` satisfy the protocols the models (and the async bound models) are typed
with, so ``service.predict(...)`` reaches a method of the same signature."""

from __future__ import annotations

from abeja.services import AsyncServiceClient, ServiceClient
from abeja.services._managers._async_bound import AsyncEndpointCalls, AsyncServiceCalls
from abeja.services._managers._bound import EndpointCalls, ServiceCalls


def the_sync_managers_are_the_calls(client: ServiceClient) -> None:
    services: ServiceCalls = client.services
    endpoints: EndpointCalls = client.endpoints
    del services, endpoints


def the_async_managers_are_the_calls(client: AsyncServiceClient) -> None:
    services: AsyncServiceCalls = client.services
    endpoints: AsyncEndpointCalls = client.endpoints
    del services, endpoints
