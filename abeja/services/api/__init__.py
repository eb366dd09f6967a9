"""abeja-sdk's import path ``abeja.services.api``: the compat client lives in ``.client``."""
