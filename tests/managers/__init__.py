"""The managers' tests (abeja/services/_managers/): services, endpoints, versions, bound
models, waits."""
