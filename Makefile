# Linli: one command each for running, testing and linting. See deploy/.
.PHONY: run test lint clean

run:
	bash deploy/setup.sh
	.venv/bin/python deploy/run.py

test:
	bash deploy/setup.sh --with-postgres --with-browser
	bash deploy/test.sh

lint:
	.venv/bin/ruff check services gateway tests deploy
	.venv/bin/lint-imports

clean:
	rm -rf var/
