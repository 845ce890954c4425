from services.fulfillment.models import Base
from services.infra.migrations import run_migrations

run_migrations(Base.metadata)
