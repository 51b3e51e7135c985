"""The REST client every component uses to reach the API server (never storage)."""
