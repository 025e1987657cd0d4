"""Providers: where offers and live prices come from. Built-ins register exactly like third-party plugins."""
