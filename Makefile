# SAMIA-TAROT: `make up` runs the stack locally, `make test` runs every test.
# Both install what is missing (Debian packages, cargo-pgrx) on the first run.

.PHONY: up test bench help

help:
	@echo "make up     build, migrate, seed and run the local stack (Ctrl-C stops it)"
	@echo "make test   fmt, clippy, unit, in-database and integration tests"
	@echo "make bench  benchmarks (ratios measured side by side in one run)"

up:
	@scripts/up.sh

test:
	@scripts/test.sh

bench:
	@scripts/bench.sh $(BENCH)
