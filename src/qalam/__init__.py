"""Qalam: a Kazakh-first publishing system that serves Grav sites."""

__version__ = "0.1.0"
