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
	  --sites shop.example,recipes.example --min-reports 1 --www www --dist dist

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
	$(MAKE) --no-print-directory test-types
	npm run --silent test:e2e
	npm exec --silent -- playwright test -c tests/qa-example/playwright.config.js
	node --test tests/qa-example/selenium.example.js

.PHONY: package test-types
# The npm package in dist/ (package.json, schema.json, locales/) and its tarball in target/package/.
package: build
	@bash scripts/package.sh

# TypeScript checks the public types against an example that uses all of them.
test-types:
	node_modules/.bin/tsc --noEmit -p tests/types

bench: build
	bash benches/run.sh

screenshots: build
	cargo build --release -p candor-collector
	node scripts/screenshots.js

clean:
	rm -rf dist target/bindgen
