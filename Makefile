# Candor: `make demo` and `make test` are all a newcomer needs.
SHELL := /bin/bash
export CANDOR_TOOLS ?= $(HOME)/.cache/candor-tools
export PATH := $(CANDOR_TOOLS)/bin:$(PATH)
export CHROMEDRIVER ?= /usr/bin/chromedriver
PORT ?= 8080

.PHONY: setup build demo test test-native test-wasm test-e2e bench screenshots clean

setup:
	@bash scripts/setup.sh

build: setup
	@bash scripts/build.sh

demo: build
	cargo build --release -p candor-collector
	target/release/candor-collector --listen 127.0.0.1:$(PORT) --db candor.db \
	  --sites shop.example --min-reports 1 --www www --dist dist

test: build
	$(MAKE) test-native test-wasm test-e2e

test-native:
	cargo test --workspace --tests
	node tests/tcf/tcf.test.js

test-wasm:
	cargo test --target wasm32-unknown-unknown --test browser

test-e2e:
	cargo build --release -p candor-collector
	npm run --silent test:schema
	npm run --silent test:e2e

bench: build
	bash benches/run.sh

screenshots: build
	cargo build --release -p candor-collector
	node scripts/screenshots.js

clean:
	rm -rf dist target/bindgen
