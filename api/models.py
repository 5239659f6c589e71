"""Imports every model module, so that ``Base.metadata`` knows every table (Alembic and
tests use this). A domain that adds a models module lists it here."""

from api.areas import models as areas_models  # noqa: F401
from api.audit import models as audit_models  # noqa: F401
from api.auth import models as auth_models  # noqa: F401
from api.casework.leads import models as leads_models  # noqa: F401
from api.casework.tasks import models as tasks_models  # noqa: F401
from api.casework.tracing import models as tracing_models  # noqa: F401
from api.field import models as field_models  # noqa: F401
from api.jobs import models as jobs_models  # noqa: F401
from api.matching import models as matching_models  # noqa: F401
from api.photos import models as photos_models  # noqa: F401
from api.rescue.centre import models as centre_models  # noqa: F401
from api.rescue.patrols import models as patrols_models  # noqa: F401
from api.visits import models as visits_models  # noqa: F401
from api.visits.coverage import models as coverage_models  # noqa: F401
