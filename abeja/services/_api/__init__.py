"""The Service API's wire: routes, request bodies, argument checks, answers decoded."""
