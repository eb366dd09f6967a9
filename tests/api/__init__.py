"""The wire's tests (abeja/services/_api/): routes, bodies, checks, answers decoded."""
