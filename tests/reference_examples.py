"""The response examples of abeja-sdk's Service API reference (shared/reference), as data."""

from __future__ import annotations

from typing import Any

CREATE: dict[str, Any] = {
    "service_id": "ser-abc1111111111111",
    "deployment_id": "9999999999999",
    "models": {"alias": "3333333333333"},
    "model_version": "0.0.1",
    "model_version_id": "ver-abc1111111111111",
    "status": "IN_PROGRESS",
    "instance_number": 1,
    "min_instance_number": 1,
    "max_instance_number": 2,
    "enable_autoscale": True,
    "instance_type": "cpu-0.25",
    "metrics_url": "https://p.datadoghq.com/sb/aaaaaaaaa-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
    "user_env_vars": {"EXAMPLE_ENV": "abc"},
    "created_at": "2018-06-05T13:07:49.602076Z",
    "modified_at": "2018-06-05T13:07:50.771671Z",
}
GET: dict[str, Any] = {
    "service_id": "ser-abc1111111111111",
    "deployment_id": "9999999999999",
    "models": {"alias": "3333333333333"},
    "model_version": "0.0.1",
    "model_version_id": "ver-abc1111111111111",
    "status": "READY",
    "instance_number": 1,
    "instance_type": "cpu-0.25",
    "metrics_url": "https://p.datadoghq.com/sb/aaaaaaaaa-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
    "user_env_vars": {"EXAMPLE_ENV": "abc"},
    "created_at": "2018-06-05T12:34:33.485329Z",
    "modified_at": "2018-06-05T12:34:34.568985Z",
}
LIST: dict[str, Any] = {"entries": [GET]}
UPDATE: dict[str, Any] = {
    "deployment_id": "1408443944117",
    "instance_number": 1,
    "instance_type": "cpu-1",
    "metrics_url": "https://p.datadoghq.com/sb/xxxxxxxxx-yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy",
    "models": {"alias": "3333333333333"},
    "model_version": "1.0.0",
    "model_version_id": "ver-1cfab7455c8e43a7",
    "service_id": "ser-abc1111111111111",
    "status": "IN_PROGRESS",
    "record_channel_id": "5678901234567",
    "user_env_vars": {"EXAMPLE_ENV2": "exmaple2"},
    "merged_env_vars": {"EXAMPLE_ENV": "deployment_example", "EXAMPLE_ENV2": "exmaple2"},
    "service_process_type": "multi",
    "modified_at": "2018-01-01T00:00:00.102289Z",
    "created_at": "2018-01-01T00:00:00.102289Z",
}
LOGS: dict[str, Any] = {
    "events": [{"message": "...", "timestamp": "2018-01-01T00:00:00.000000Z"}],
    "next_backward_token": "...",
    "next_forward_token": "...",
}
DELETE = {"message": "ser-abc1111111111111 deleted"}
START = {"message": "ser-abc1111111111111 started"}
STOP = {"message": "ser-abc1111111111111 stopped"}
