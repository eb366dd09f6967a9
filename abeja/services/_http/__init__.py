"""The HTTP layer: one attempt sent and read (sync fast path on http.client, or requests),
the retry policy around it, failures classified, deadlines, proxies, TLS."""
