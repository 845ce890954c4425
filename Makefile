# Linli: one command each for running, testing and linting. See deploy/.
.PHONY: run test lint clean chaos fuzz backup restore

run:
	bash deploy/setup.sh
	.venv/bin/python deploy/run.py

# Every service's database into $LINLI_DATA_DIR/backups/<UTC time>/, while Linli runs or not;
# `make restore BACKUP=<folder>` puts one back, with Linli stopped (README: "Operator's notes").
backup:
	.venv/bin/python deploy/backup.py backup

restore:
	@test -n "$(BACKUP)" || { echo "usage: make restore BACKUP=<backup folder>" >&2; exit 2; }
	.venv/bin/python deploy/backup.py restore "$(BACKUP)"

test:
	bash deploy/setup.sh --with-postgres --with-browser --with-faketime --with-promtool
	bash deploy/test.sh

# Fault scenarios and the long fuzz run on real processes: slow, and they restart this machine's
# RabbitMQ and PostgreSQL, so nothing else may run meanwhile (README: "Reliability and security").
chaos:
	bash deploy/setup.sh --with-postgres
	LINLI_CHAOS=1 .venv/bin/pytest -p no:cacheprovider -s -v $(PYTEST_ARGS) tests/chaos

fuzz:
	bash deploy/setup.sh
	LINLI_CHAOS=1 .venv/bin/pytest -p no:cacheprovider -s -v $(PYTEST_ARGS) tests/chaos/test_fuzz.py

lint:
	.venv/bin/ruff check services gateway tests deploy bench
	.venv/bin/ruff format --check services gateway tests deploy bench
	.venv/bin/lint-imports
	bash deploy/lint-web.sh
	bash deploy/lint-openapi.sh

clean:
	rm -rf var/
