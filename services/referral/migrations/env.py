from services.infra.migrations import run_migrations
from services.referral.models import Base

run_migrations(Base.metadata)
