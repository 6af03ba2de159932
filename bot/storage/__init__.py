"""Storage: models, migrations, access rules."""
