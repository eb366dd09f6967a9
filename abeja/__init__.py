"""ABEJA Platform SDK namespace: ``abeja.services`` and ``abeja.exceptions``."""
