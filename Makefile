# mpichan: `make demo` sets up a fresh machine and runs the main job;
# `make test` sets up and runs every test, under Open MPI and MPICH.
#
# MPI=openmpi (default) or MPI=mpich picks the MPI library. The cgo flags
# come from pkg-config, so nobody types them; `eval "$(make -s env)"` puts
# them in your shell for plain `go build` / `go test` (`MPI=mpich make -s env`
# for MPICH). A program built with one MPI's header and another's library
# stops before main with a message saying so (sdk/launcher.go).

MPI ?= openmpi
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)

ifeq ($(MPI),mpich)
PKG := mpich
MPIRUN := mpiexec.hydra
else ifeq ($(MPI),openmpi)
PKG := ompi-c
MPIRUN := mpirun --oversubscribe --bind-to none
else
$(error MPI must be openmpi or mpich, not "$(MPI)")
endif

# Evaluated when used, so a sub-make sees packages that setup installed.
CGO_FLAGS = CGO_CFLAGS="$$(pkg-config --cflags $(PKG))" CGO_LDFLAGS="$$(pkg-config --libs $(PKG))"
# Open MPI refuses root without these; opal_signal= keeps its signal
# handlers away from the Go runtime's (see docs/MPI.md).
RUN_ENV = OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_opal_signal=
APT_PKGS := openmpi-bin libopenmpi-dev mpich libmpich-dev pkg-config shellcheck
MODULES := ./sdk ./examples .

.PHONY: demo test setup env build vet test-mpi test-race test-slurm bench templates clean

demo: setup
	@$(MAKE) --no-print-directory MPI=$(MPI) _demo

_demo:
	cd examples && $(CGO_FLAGS) go build -o ../bin/montecarlo ./montecarlo
	$(RUN_ENV) $(MPIRUN) -n 2 bin/montecarlo

test: setup
	@$(MAKE) --no-print-directory MPI=openmpi vet test-race test-mpi
	@$(MAKE) --no-print-directory MPI=mpich vet test-mpi
	@$(MAKE) --no-print-directory test-slurm

# setup installs what a fresh machine lacks: Debian's MPI packages and the
# Go modules. It changes nothing on a machine that has them.
setup:
	@missing=""; for p in $(APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "setup: installing$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@for m in $(MODULES); do (cd $$m && go mod download); done

# Quoted for the shell (printf %q): the flags hold spaces.
env:
	@printf 'export CGO_CFLAGS=%q CGO_LDFLAGS=%q\n' "$$(echo $$(pkg-config --cflags $(PKG)))" "$$(echo $$(pkg-config --libs $(PKG)))"
	@echo export $(RUN_ENV)

build:
	for m in $(MODULES); do (cd $$m && [ -z "$$(go list ./... 2>/dev/null)" ] || $(CGO_FLAGS) go build ./...) || exit 1; done

# gofmt, goimports, go vet and staticcheck on every module and on a project
# made from every template (tool versions: the `tool` lines of go.mod).
vet:
	$(CGO_FLAGS) bash .ci/vet.sh

# Single-process parts under the race detector (multi-rank tests skip in -short).
test-race:
	cd sdk && $(CGO_FLAGS) go test -race -short -count=1 ./...

# Everything, multi-rank tests included (they start mpirun themselves).
test-mpi:
	@echo "== go test ($(MPI))"
	for m in $(MODULES); do (cd $$m && [ -z "$$(go list ./... 2>/dev/null)" ] || $(CGO_FLAGS) go test -count=1 -timeout 40m ./...) || exit 1; done

# A real local Slurm (2 fake nodes; installs slurm-wlm and munge if missing),
# mpichan-init's generated job submitted to it, daemons stopped by PID.
test-slurm:
	@echo "== real Slurm"
	$(CGO_FLAGS) bash slurm/test.sh

# Re-copy examples/ into templates/ after changing an example.
templates:
	go generate ./templates

bench:
	cd sdk && $(CGO_FLAGS) go build -o ../bin/chanbench ./cmd/chanbench
	$(RUN_ENV) $(MPIRUN) -n 4 bin/chanbench

clean:
	rm -rf bin
