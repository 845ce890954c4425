from services.infra.migrations import run_migrations
from services.fulfillment.models import Base

run_migrations(Base.metadata)
