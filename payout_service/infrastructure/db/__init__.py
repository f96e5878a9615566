"""Tortoise ORM schema, raw-SQL repositories and the unit of work."""
