"""The managers and bound models (services, endpoints, versions, batches), their waiters."""
