# retroscim — common tasks. `make help` lists them.

GO        ?= go
BIN       ?= bin/retroscim
FUZZTIME  ?= 30s
BENCHTIME ?= 5s

.PHONY: help build run demo test test-cluster bench bench-http fuzz lint clean testdb-stop

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

build: ## build bin/retroscim
	$(GO) build -trimpath -o $(BIN) ./cmd/retroscim

run: build ## serve config.yaml (needs RETROSCIM_DSN and RETROSCIM_TOKEN)
	$(BIN) serve --config config.yaml

demo: build ## serve the sample app on a throwaway MariaDB (installs MariaDB when missing and possible)
	@command -v mariadbd >/dev/null 2>&1 || test -x /usr/sbin/mariadbd || \
	  { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	      echo "make demo: installing Debian's mariadb-server-core and mariadb-client"; \
	      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server-core mariadb-client >/dev/null || \
	      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server-core mariadb-client >/dev/null; }; \
	    fi; }
	@$(BIN) demo $(DEMOFLAGS)

test: ## run every test against a real MariaDB/MySQL (see README)
	$(GO) test -race -count=1 ./...

test-cluster: ## 3 Galera nodes, HAProxy and 3 replicas on this machine (installs galera-4, rsync, haproxy when missing)
	@.ci/cluster-deps
	RETROSCIM_CLUSTER=1 $(GO) test -count=1 -v -timeout 15m ./examples/cluster/

bench: ## benchmarks against a 1M-user database (built once, kept as retroscim_bench)
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) ./adapter/ ./legacy/

bench-http: ## retroscim serve and a bare echo+sqlx handler side by side over HTTP (BENCHHTTPFLAGS="--pairs 9 ...")
	$(GO) run ./cmd/benchhttp run $(BENCHHTTPFLAGS)

fuzz: ## fuzz the filter and PATCH path parsers and the filter compiler
	$(GO) test ./mapping/filter -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s
	$(GO) test ./mapping/filter -run '^$$' -fuzz '^FuzzParsePath$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s
	$(GO) test ./mapping -run '^$$' -fuzz '^FuzzCompileFilter$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s
	$(GO) test ./mapping -run '^$$' -fuzz '^FuzzFilterCache$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s
	$(GO) test ./adapter -run '^$$' -fuzz '^FuzzParseListValues$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s

lint: ## gofmt, go vet and staticcheck
	@test -z "$$(gofmt -l .)" || { gofmt -l .; echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

clean: ## remove build output
	rm -rf bin

testdb-stop: ## stop the throwaway MariaDB that tests start when no server answers
	@f="$${TMPDIR:-/tmp}/retroscim-testdb-$$(id -u)/mariadb.pid"; \
	  if [ -f "$$f" ]; then kill "$$(cat "$$f")" && echo "stopped"; else echo "no test MariaDB running"; fi
