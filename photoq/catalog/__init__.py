"""The catalog: models, engines, migrations and the repository."""
