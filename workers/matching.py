"""The list-import job: ``import_list(list_id)``, scheduled by the upload
(``api.matching.services.upload_list``); the work is ``api.matching.imports.run_import``."""

from __future__ import annotations

from api.matching.imports import run_import


def import_list(list_id: int) -> str:
    return run_import(list_id)
