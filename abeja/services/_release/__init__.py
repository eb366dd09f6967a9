"""Releases: rollouts (new service, checks, switch, bake, retire or roll back) and deploy."""
