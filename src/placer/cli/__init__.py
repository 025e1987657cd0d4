"""The command line: typer commands, one module each, over the library. No business rules here."""
