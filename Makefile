# mpichan: `make demo` sets up a fresh machine and runs the main job;
# `make test` sets up and runs every test, under Open MPI and MPICH.
#
# MPI=openmpi (default) or MPI=mpich picks the MPI library. The cgo flags
# come from pkg-config, so nobody types them; `eval "$(make -s env)"` puts
# them in your shell for plain `go build` / `go test` (`MPI=mpich make -s env`
# for MPICH). A program built with one MPI's header and another's library
# fails in mpichan.Init with an error saying so (sdk/launcher.go).

MPI ?= openmpi
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)

ifeq ($(MPI),mpich)
PKG := mpich
MPIRUN := mpiexec.hydra
MPIRUN_PER_CORE := mpiexec.hydra -bind-to core
else ifeq ($(MPI),openmpi)
PKG := ompi-c
MPIRUN := mpirun --oversubscribe --bind-to none
MPIRUN_PER_CORE := mpirun --bind-to core
else
$(error MPI must be openmpi or mpich, not "$(MPI)")
endif

# Evaluated when used, so a sub-make sees packages that setup installed.
CGO_FLAGS = CGO_CFLAGS="$$(pkg-config --cflags $(PKG))" CGO_LDFLAGS="$$(pkg-config --libs $(PKG))"
# Open MPI refuses root without these; opal_signal= keeps its signal
# handlers away from the Go runtime's (see docs/MPI.md).
RUN_ENV = OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_opal_signal=
APT_PKGS := openmpi-bin libopenmpi-dev mpich libmpich-dev pkg-config shellcheck spin gcc
MODULES := ./sdk ./examples .

.PHONY: demo test check setup env bundle build install vet test-mpi test-race test-slurm test-container test-hosts test-model soak bench bench-hosts bench-plot templates clean

demo: setup
	@$(MAKE) --no-print-directory MPI=$(MPI) _demo

_demo:
	cd examples && $(CGO_FLAGS) go build -o ../bin/montecarlo ./montecarlo
	$(RUN_ENV) $(MPIRUN) -n 2 bin/montecarlo

test: setup
	@$(MAKE) --no-print-directory MPI=openmpi vet test-race test-mpi test-hosts
	@$(MAKE) --no-print-directory MPI=mpich vet test-mpi test-hosts
	@$(MAKE) --no-print-directory test-slurm
	@$(MAKE) --no-print-directory test-container
	@$(MAKE) --no-print-directory test-model

# check: what to run before a commit (CONTRIBUTING.md), in about 2 minutes
# under Open MPI: gofmt, goimports, go vet, staticcheck and the tracker
# check on every module (make vet also vets a project from every
# template), the single-process tests (-short) and two 2-/4-rank smoke tests.
CHECK_SMOKE := ^(TestFIFO|TestClaims)$$
check:
	@$(MAKE) --no-print-directory MPI=openmpi _check

_check:
	VET_TEMPLATES=0 $(CGO_FLAGS) bash .ci/vet.sh
	for m in $(MODULES); do (cd $$m && [ -z "$$(go list ./... 2>/dev/null)" ] || $(CGO_FLAGS) go test -short -count=1 ./...) || exit 1; done
	cd sdk && $(CGO_FLAGS) go test -count=1 -run '$(CHECK_SMOKE)' .

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

# The module bundle mpichan-init embeds so that the projects it makes build
# offline (templates/_bundle, ignored by git): the templates made from
# examples/ and every module they need, the SDK among them, from the module
# cache (downloaded first when missing). Rewritten only when it changed.
bundle:
	@for m in ./sdk ./examples; do (cd $$m && GOWORK=off go mod download); done
	go generate ./templates

# Every module, and the CLI with its bundle at bin/mpichan-init.
build: bundle
	for m in $(MODULES); do (cd $$m && [ -z "$$(go list ./... 2>/dev/null)" ] || $(CGO_FLAGS) go build ./...) || exit 1; done
	go build -o bin/mpichan-init ./cmd/mpichan-init

# mpichan-init, with its bundle, into $(go env GOPATH)/bin (or GOBIN).
install: bundle
	go install ./cmd/mpichan-init

# gofmt, goimports, go vet and staticcheck on every module and on a project
# made from every template (tool versions: the `tool` lines of go.mod).
vet: bundle
	$(CGO_FLAGS) bash .ci/vet.sh

# Single-process parts under the race detector (multi-rank tests skip in -short).
test-race:
	cd sdk && $(CGO_FLAGS) go test -race -short -count=1 ./...

# Everything, multi-rank tests included (they start mpirun themselves).
test-mpi: bundle
	@echo "== go test ($(MPI))"
	for m in $(MODULES); do (cd $$m && [ -z "$$(go list ./... 2>/dev/null)" ] || $(CGO_FLAGS) go test -count=1 -timeout 40m ./...) || exit 1; done

# A real Slurm cluster on 3 test hosts (network namespaces; installs slurm-wlm
# and munge if missing), mpichan-init's generated 3-node job submitted to it
# under both MPIs and both launchers, daemons stopped by PID, hosts removed.
test-slurm: bundle
	@echo "== real Slurm"
	$(CGO_FLAGS) bash slurm/test.sh

# A generated project's apptainer/job.def built as `apptainer build` would
# (apptainer/build.sh: Debian 12 root, %files, %post, %environment,
# %runscript, %test, squashfs, SIF), then 3 ranks of the job run in the
# image under the host's launcher and under the test Slurm, for Open MPI
# and MPICH (apptainer/test.sh; installs mmdebstrap, squashfs-tools and
# bubblewrap if missing; caches the base root in /var/cache/mpichan-container).
test-container: bundle
	@echo "== Apptainer images built and run"
	bash apptainer/test.sh

# The protocol's Promela model, checked exhaustively by SPIN, and its
# mutants, each of which must fail (sdk/model/check.sh; -full: bigger runs).
test-model:
	@echo "== SPIN model of the channel protocol"
	bash sdk/model/check.sh

# Not in `make test`: SOAK_MESSAGES (default 10^7) messages of mixed sizes
# through 3 channels on SOAK_RANKS ranks; lost/duplicated/corrupt must be 0
# and RSS at the end within 10% of RSS after warm-up (docs/RELIABILITY.md).
SOAK_MESSAGES ?= 10000000
SOAK_RANKS ?= 5
soak: setup
	cd sdk && $(CGO_FLAGS) go build -o ../bin/soak ./cmd/soak
	$(RUN_ENV) $(MPIRUN) -n $(SOAK_RANKS) bin/soak -messages $(SOAK_MESSAGES)

# 3 test hosts (network namespaces with their own addresses, made by
# sdk/mpitest/hosts/up.sh and always removed again; needs root): the SDK's
# multi-rank tests in HOSTS_TESTS run across them (MPICHAN_HOSTS: rank r on
# host r mod 3, over TCP; message counts scaled by mpitest.Scaled), once per
# remote path in HOSTS_REMOTES ("default": what New picks across nodes;
# "rma": MPICHAN_REMOTE=rma, remote ranks use one-sided MPI on the host's
# window); then the fault-injection tests and the examples' tests, and
# every template's job on 6 ranks there and on one host, with identical
# results (jobs.sh).
HOSTS_DIR := /tmp/mpichan-hosts
HOSTS_ENV = MPICHAN_HOSTS=$(HOSTS_DIR) MPICHAN_TEST_TIMEOUT=10m
HOSTS_TESTS := ^(TestExactlyOnce|TestTasks|TestFIFO|TestClaims|TestBadInput|TestHostBusy|TestLoopStopKeepsMessages|TestAllPerLoopError|TestOneSidedComponents|TestRefusedAcrossHosts|TestCloseWithError)$$
HOSTS_REMOTES ?= default rma
test-hosts: bundle
	@echo "== across 3 test hosts ($(MPI))"
	@bash sdk/mpitest/hosts/down.sh >/dev/null 2>&1; bash sdk/mpitest/hosts/up.sh
	@trap 'bash sdk/mpitest/hosts/down.sh' EXIT; set -e; \
	for remote in $(HOSTS_REMOTES); do \
		echo "== SDK tests across the hosts ($(MPI), remote path: $$remote)"; \
		if [ $$remote = default ]; then r=; else r=$$remote; fi; \
		(cd sdk && MPICHAN_REMOTE=$$r $(HOSTS_ENV) $(CGO_FLAGS) go test -count=1 -timeout 30m -run '$(HOSTS_TESTS)' .); \
	done; \
	(cd sdk && $(HOSTS_ENV) $(CGO_FLAGS) go test -count=1 -timeout 30m ./internal/faultinject); \
	if [ $(MPI) = openmpi ]; then (cd examples && $(HOSTS_ENV) $(CGO_FLAGS) go test -count=1 -timeout 30m ./...); \
	else echo "== examples' tests across the hosts: Open MPI only (under MPICH 4.0 hydra sometimes fails a finished job in MPI_Finalize's PMI barrier, pmodels/mpich#6596, docs/MPI.md); jobs.sh below runs the examples' jobs under MPICH"; fi; \
	$(HOSTS_ENV) MPI=$(MPI) $(CGO_FLAGS) bash sdk/mpitest/hosts/jobs.sh

# chanbench on 2 test hosts under MPICH over TCP and Open MPI over UCX, in
# one run; writes the table to bin/bench-hosts.md and prints it.
bench-hosts:
	@bash sdk/mpitest/hosts/down.sh >/dev/null 2>&1; bash sdk/mpitest/hosts/up.sh
	@trap 'bash sdk/mpitest/hosts/down.sh' EXIT; MPICHAN_HOSTS=$(HOSTS_DIR) bash sdk/mpitest/hosts/bench.sh

# The old name of bundle.
templates: bundle

# The channel beside the two-sided farm, same binary, same run (ratios,
# latency, stall), with a second channel whose takers Recycle; then 1 MiB
# bandwidth as bandwidth is measured (osu_put_bw): 2 ranks, one per core,
# raw MPI_Put and the channel in the same run. BENCH_FLAGS adds chanbench
# flags to both (a later flag wins). Then the UTS speedup: T1 and T3 on 2
# ranks against -seq, alternating (examples/uts/bench.sh).
BENCH_RANKS ?= 4
bench:
	cd sdk && $(CGO_FLAGS) go build -o ../bin/chanbench ./cmd/chanbench
	$(RUN_ENV) $(MPIRUN) -n $(BENCH_RANKS) bin/chanbench -channels default,c -only ratio,latency,stall $(BENCH_FLAGS)
	$(RUN_ENV) $(MPIRUN_PER_CORE) -n 2 bin/chanbench -only bandwidth $(BENCH_FLAGS)
	$(RUN_ENV) MPIRUN="$(MPIRUN)" $(CGO_FLAGS) bash examples/uts/bench.sh

# msg/s against message size (4 ranks; the channel plain and with takers
# that Recycle) and against ranks (64 B), drawn by examples/cmd/benchplot into docs/img/bench-$(MPI)-{size,ranks}.png; the
# runs' output is kept in bin/bench-$(MPI)-*.txt.
BENCH_SIZES ?= 64,512,4096,8192,65536,262144,1048576
bench-plot:
	cd sdk && $(CGO_FLAGS) go build -o ../bin/chanbench ./cmd/chanbench
	cd examples && $(CGO_FLAGS) go build -o ../bin/benchplot ./cmd/benchplot
	$(RUN_ENV) $(MPIRUN) -n 4 bin/chanbench -only sweep -channels default,c -sizes $(BENCH_SIZES) | tee bin/bench-$(MPI)-size.txt
	for n in 2 3 5 6; do $(RUN_ENV) $(MPIRUN) -n $$n bin/chanbench -only sweep -sizes 64 || exit 1; done | tee bin/bench-$(MPI)-ranks.txt
	mkdir -p docs/img
	bin/benchplot -out docs/img/bench-$(MPI) -ranks 4 -size 64 -label "$(MPI), one node: " bin/bench-$(MPI)-size.txt bin/bench-$(MPI)-ranks.txt

clean:
	rm -rf bin
