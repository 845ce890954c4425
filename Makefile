# Linli: one command each for running, testing and linting. See deploy/.
.PHONY: run test lint clean chaos fuzz

run:
	bash deploy/setup.sh
	.venv/bin/python deploy/run.py

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
	.venv/bin/ruff check services gateway tests deploy
	.venv/bin/lint-imports
	bash deploy/lint-web.sh
	bash deploy/lint-openapi.sh

clean:
	rm -rf var/
