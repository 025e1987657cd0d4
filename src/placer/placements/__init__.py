"""Turning one offer into priced placements for one profile kind; a rejection carries its reason."""
