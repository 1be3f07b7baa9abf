# High-Performance I/O workbook: every command a user needs. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := build

JAVA_HOME := $(shell chapter05/scripts/find-jdk.sh 2>/dev/null)
ifeq ($(JAVA_HOME),)
$(error No JDK 25 or newer found: install one (Debian/Ubuntu: apt-get install temurin-25-jdk; macOS: brew install --cask temurin@25) or set JAVA_HOME)
endif
export JAVA_HOME
JAVA := $(JAVA_HOME)/bin/java
MVN := ./mvnw -q -B
JAR := chapter05/target/high_perf_lb.jar

SOURCES := $(shell find chapter05/src/main -name '*.java') pom.xml chapter05/pom.xml

.PHONY: help build run test exercises exercise hint solution verify-exercises bench stress soak footprint errors clean

help: ## list every target
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

build: ## compile everything and build the runnable jar (chapter05/target/high_perf_lb.jar)
	$(MVN) -DskipTests install

$(JAR): $(SOURCES)
	$(MVN) -DskipTests install

run: $(JAR) ## demo: backends A (9001) and B (9002), balancer on 8080, wrr 3:2; Ctrl-C stops all
	@chapter05/scripts/run-demo.sh

test: ## run every test (event-loop contract per backend, structs, load balancer, solutions)
	./mvnw -B -ntp install

exercises: ## list the exercises, from the raw loop (level 1) to the balancer (level 2)
	@chapter05/scripts/exercise.sh list

exercise: ## run exercise EX's tests (EX=1..6, or epoll|echo|edge|buffer|idle|shutdown) on your code
	@chapter05/scripts/exercise.sh test "$(EX)"

hint: ## the next hint for exercise EX, one more each time (RESET=1 starts over)
	@RESET=$(RESET) chapter05/scripts/exercise.sh hint "$(EX)"

solution: ## the reference solution of exercise EX beside your code, once your code passes (FORCE=1: now)
	@FORCE=$(FORCE) chapter05/scripts/exercise.sh solution "$(EX)"

verify-exercises: ## check every exercise: its tests fail on the stub and on each known-wrong mutant, pass on the solution
	@chapter05/scripts/verify-exercises.sh

bench: build ## JMH: one runOnce vs idle fds per backend, O(n) vs O(1) (QUICK=1: ~2 min, else ~7; GC=1/0: -prof gc; BACKENDS=io_uring,epoll)
	$(MVN) -pl chapter05 dependency:build-classpath -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test
	GC=$(GC) BACKENDS=$(BACKENDS) chapter05/scripts/bench.sh $(if $(QUICK),quick,full)

stress: $(JAR) ## load test side by side: each backend, direct, HAProxy/nginx; syscalls+CPU per request, bulk Gb/s (DURATION= SCENARIOS=...,bulk,10k LOAD= PEERS= BACKEND= ROWS= THREADS=)
	@chapter05/scripts/stress.sh

soak: $(JAR) ## the balancer under load and faults, nothing lost or leaked (DURATION=60 BACKEND=auto|all|NAME THREADS= SEED=)
	@chapter05/scripts/soak.sh

footprint: build ## JOL: the field layout of a connection, its heap bytes when idle, the pool's size at --max-conns
	$(MVN) -pl chapter05 dependency:build-classpath -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test
	@chapter05/scripts/footprint.sh

errors: build ## provoke each message of docs/09-common-errors.md for real (~25 s) and check the page still shows it
	$(MVN) -pl chapter05 dependency:build-classpath -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test
	@chapter05/scripts/errors.sh

clean: ## remove build output
	$(MVN) clean
