"""Rendering plans for people (rich tables), machines (JSON) and errors. Only this package imports rich."""
