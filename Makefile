# Sightline — `make run` opens the station on the demo study; `make test` runs the whole suite.
# Both install what is missing first (scripts/deps.sh).
SHELL     := /bin/bash
export PATH := $(PATH):/usr/local/go/bin
# Fyne warns on the C locale; the tests and the station run in a UTF-8 one.
export LANG := en_US.UTF-8
GO        ?= go
TAGS      := migrated_fynedo
BIN       := bin/sightline
CHECKED   := bin/sightline-checked
DEMO_DIR  ?= $(CURDIR)/.demo
ARGS      ?=
NOT_RUN   := $(CURDIR)/.cache/not-run.txt
MACHINE   := $(CURDIR)/.cache/machine-before.txt
# The demo study, written once for the test binaries that read it (reader/demo/demotest.StudyEnv).
DEMO_STUDY := $(CURDIR)/.cache/demo-study
# staticcheck at a fixed version, built from the module proxy into the Go build cache.
STATICCHECK := $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
# Every package that starts goroutines runs under the race detector (scripts/racy.sh finds
# them); the others without it.
RACY      := $(shell scripts/racy.sh)

.PHONY: run test test-quick test-suites build release lint bench package deps deps-test e2e fuzz clean

run: deps build
	./$(BIN) demo --study "$(DEMO_DIR)" $(ARGS)

build:
	$(GO) build -tags $(TAGS) -o $(BIN) .

release:
	$(GO) build -tags $(TAGS) -trimpath -ldflags "-s -w" -o $(BIN) .

deps:
	@scripts/deps.sh run

deps-test:
	@scripts/deps.sh test

# lint fails on unformatted code, a broken layering rule (scripts/layering.sh, under every tag
# set built here: reader/ and tracker/ import no Fyne, nor app/ or ui/; tracker/ nothing from
# reader/; ui/ nothing from app/; the floors inside reader/), go vet or staticcheck findings,
# an untidy go.mod/go.sum, and a function over cyclomatic complexity 15 that is not on
# scripts/cyclo-exceptions.txt or grew past its line there (scripts/cyclo.sh).
lint:
	@bad=$$(gofmt -l $$(find . -name '*.go' -not -path './.*')); \
	  if [ -n "$$bad" ]; then echo "gofmt needed: $$bad"; exit 1; fi
	@scripts/layering.sh
	@scripts/cyclo.sh
	$(GO) vet -tags $(TAGS) ./...
	$(GO) vet -tags $(TAGS),e2e ./app/
	$(STATICCHECK) -tags $(TAGS),e2e ./...
	@$(GO) mod tidy -diff >/dev/null || { echo "lint: go.mod/go.sum are not tidy: run go mod tidy"; \
	  $(GO) mod tidy -diff; exit 1; }

# A test that cannot run on this machine (TestDiskFull without mount rights) is skipped and
# notes why in $(NOT_RUN) (internal/notrun); the notes are printed last, so that a skipped test
# never passes for a run one. The suite must leave the machine as it found it: the default sink
# and source, the PostgreSQL clusters and the running daemons are noted before and compared
# after (scripts/leftovers.sh; every process the run starts carries SIGHTLINE_TEST_RUN), and
# anything left behind fails the run, named. The demo study is written once, without the race
# detector, for every test binary that reads it (it cost a minute a binary under -race).
test: deps-test lint build
	@mkdir -p .cache && rm -f $(NOT_RUN); \
	  tag=$$(scripts/leftovers.sh snapshot $(MACHINE)) || exit 1; export SIGHTLINE_TEST_RUN=$$tag; \
	  export SIGHTLINE_NOT_RUN=$(NOT_RUN); \
	  export SIGHTLINE_PYDICOM_DEB=$$(ls $(CURDIR)/.cache/python3-pydicom_*.deb 2>/dev/null | head -n1); \
	  export SIGHTLINE_DEMO_STUDY=$(DEMO_STUDY); rm -rf $(DEMO_STUDY); \
	  $(GO) run reader/demo/demotest/writestudy.go $(DEMO_STUDY) || exit 1; \
	  $(MAKE) --no-print-directory test-suites; rc=$$?; \
	  rm -rf $(DEMO_STUDY); \
	  if [ -s $(NOT_RUN) ]; then \
	    echo; echo "make test: $$(wc -l <$(NOT_RUN)) test(s) NOT RUN on this machine:"; \
	    sed 's|^$(CURDIR)/||; s|^|  |' $(NOT_RUN); fi; \
	  echo; scripts/leftovers.sh check $(MACHINE) || rc=1; \
	  exit $$rc

# The review store's PostgreSQL tests fail here, rather than skip, when no server can be started;
# so does a test that would be NOT RUN for want of a tool scripts/deps.sh test installs
# (internal/notrun: only a not-run the machine may have for good, notrun.Allow, is listed).
# -timeout 60m: a hung test still fails, and a loaded machine is never mistaken for a hung one.
test-suites: export SIGHTLINE_REQUIRE_POSTGRES := 1
test-suites: export SIGHTLINE_REQUIRE_TOOLS := 1
test-suites:
	@[ -n "$(RACY)" ] || { echo "make: scripts/racy.sh listed no package"; exit 1; }
	$(GO) test -tags $(TAGS) -race -timeout 60m -count=1 $(RACY)
	$(GO) test -tags $(TAGS) -timeout 60m -count=1 $$(comm -23 <($(GO) list ./... | sort) <($(GO) list $(RACY) | sort))
	$(MAKE) --no-print-directory e2e

# The inner loop: every package's tests once, without the race detector, the real-window tests
# or the slow cases (-short), and without the lint. Not a substitute for make test.
test-quick:
	$(GO) test -tags $(TAGS) -short -count=1 ./...

# The real binary in a real window under Xvfb, driven with xdotool (app/e2e_test.go). It is built
# without migrated_fynedo: Fyne's thread checker is then on, and a widget touched off the main
# goroutine fails the test that did it.
e2e:
	$(GO) build -o $(CHECKED) .
	SIGHTLINE_BIN=$(CURDIR)/$(CHECKED) $(GO) test -tags "$(TAGS) e2e" -timeout 60m -count=1 -run E2E -v ./app/ 2>&1 | tail -n 40; \
	  exit $${PIPESTATUS[0]}

bench:
	$(GO) test -tags $(TAGS) -run '^$$' -bench . -benchmem ./...

# Side by side with the reference pipelines (Python: pydicom+numpy+OpenCV, scipy, pandas), per
# core and on the whole machine, outputs checked to agree (bench/compare/run.sh; SMALL=1: quick).
.PHONY: bench-compare
bench-compare:
	@bench/compare/run.sh

# The recogniser's goal table on the unseen set (reader/transcribe/testdata/unseen), every row per
# voice and speed, each with the base model and the reader's enrolled one: WER of sentences and
# one-minute dictations, negation and laterality recall, CPU per audio second; espeak-ng's three
# voices, then flite's and Festival's (voices made from recordings of people; flite, festival and
# festvox-kdlpc16k: a voice whose synthesizer is missing is NOT RUN), and the front end's
# robustness rows. make test runs a subset of the same tests. Hours of CPU on 2 cores: run niced.
# ASR_ARGS adds test flags, e.g. ASR_ARGS=-asr.voices=flite:slt,flite:rms (those voices only, in
# the WER and the robustness rows) or -asr.speeds=150.
.PHONY: bench-asr
bench-asr:
	cd reader/transcribe && nice -n 10 $(GO) test -tags $(TAGS) -count=1 -timeout 480m -run 'TestUnseen|TestFrontEndRobust' -v . -args -asr.full $(ASR_ARGS) 2>&1 \
	  | grep -E '^\s+(unseen|robust)_test.go|^(---|ok|FAIL|PASS)|NOT RUN' | sed -E 's/^\s+(unseen|robust)_test.go:[0-9]+: //'; exit $${PIPESTATUS[0]}

# Every fuzz target in the tree for FUZZTIME each (seeds also run in `make test`).
fuzz:
	@scripts/fuzz.sh

package: release
	mkdir -p dist && tar -C bin -czf dist/sightline-linux-amd64.tar.gz sightline

clean:
	rm -rf bin dist
