"""The HTTP layer's tests (abeja/services/_http/): transports, fast paths, networks,
hostile servers."""
