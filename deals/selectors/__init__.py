"""Reads shaped for one screen or endpoint, one module per screen; none imports a
service (docs/architecture-layers.md)."""
