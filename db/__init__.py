"""The store: SQLModel tables, the engine, migrations, importers and demo seeding."""
