# SAMIA-TAROT: `make up` runs the stack locally, `make test` runs every test.
# Both install what is missing (Debian packages, cargo-pgrx) on the first run.

.PHONY: up test bench package types upgrade-scripts help

help:
	@echo "make up     build, migrate, seed and run the local stack (Ctrl-C stops it)"
	@echo "make test   fmt, clippy, unit, in-database and integration tests"
	@echo "make bench  benchmarks (ratios measured side by side in one run)"
	@echo "make package  release tarball of the extension and the samia binary (target/package/)"
	@echo "make types  clients/database.types.ts, the apps' supabase-js types (after any migration)"
	@echo "make upgrade-scripts  the extension's upgrade scripts from every release (after any change to its SQL)"

up:
	@scripts/up.sh

test:
	@scripts/test.sh

bench:
	@scripts/bench.sh $(BENCH)

package:
	@scripts/package.sh

types:
	@scripts/types.sh

upgrade-scripts:
	@scripts/upgrade-scripts.sh
