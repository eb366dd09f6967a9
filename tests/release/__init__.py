"""The releases' tests (abeja/services/_release/): rollouts, rollbacks, deploy."""
