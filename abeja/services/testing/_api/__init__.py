"""The Service API, emulated: the HTTP server, the routes, the state and its faults."""
