"""Pieces every domain uses: custom fields, pagination, idempotent writes, ID numbers."""
