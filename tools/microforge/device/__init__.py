"""Flashers and serial transports."""
