# The kit's entry points. Each target sets up what it needs on a fresh clone.
#   make demo   build, release, grade three sample submissions, print the gradebook
#   make test   unit tests, build checks and grading checks (and the end-to-end
#               tests when a browser is installed: see make e2e-setup)
#   make e2e    JupyterLab and the formgrader in headless Chromium; screenshots
#               in e2e-artifacts/
#   make bench  every benchmark in one run; writes benchmarks/RESULTS.md

VENV   := .venv
PYTHON := $(VENV)/bin/python
COURSE := $(VENV)/bin/course
STAMP  := $(VENV)/.installed

.PHONY: setup sandbox demo test release check mutants bench clean

setup: $(STAMP) sandbox

# bubblewrap, the sandbox `course autograde` runs students' code in. Installed with
# apt when run as root; elsewhere a note says what to do (grading then refuses to
# run unless told --no-sandbox).
sandbox:
	@command -v bwrap >/dev/null || { command -v apt-get >/dev/null \
	  && [ "$$(id -u)" = 0 ] \
	  && { apt-get install -y -q bubblewrap >/dev/null 2>&1 \
	       || { apt-get update -q >/dev/null 2>&1 \
	            && apt-get install -y -q bubblewrap >/dev/null 2>&1; }; }; } \
	  || echo "note: bubblewrap is not installed; install it (apt-get install" \
	     "bubblewrap) to grade in a sandbox"

# torch is installed first and pinned: 2.13.0 is the CPU build; pyproject's range
# then installs nothing more, where a looser request would fetch a CUDA build.
$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check torch==2.13.0
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -e '.[course]'
	touch $(STAMP)

demo: setup
	$(COURSE) demo

# Two test processes with one BLAS/PyTorch thread each use two cores best: threads
# of one process wait on each other on a busy machine, processes do not.
test: setup
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PYTHON) -m pytest -n 2 --dist loadfile

# The end-to-end tests drive Debian's chromium with Playwright (whose own browser
# download needs more than a package index). Installing chromium needs root and
# apt; where that fails, the tests skip and say so.
E2E_BROWSER_HINT := "could not install chromium; install it with your package manager, or set E2E_CHROMIUM to a Chromium executable"

e2e-setup: setup
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -e '.[e2e]'
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null \
		|| [ -n "$$E2E_CHROMIUM" ] \
		|| (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
		|| echo $(E2E_BROWSER_HINT)

e2e: e2e-setup
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PYTHON) -m pytest -n 2 --dist loadfile tests/e2e

release: setup
	$(COURSE) release

check: setup
	$(COURSE) check

# Mutation testing of the grader through nbgrader, two scratch courses side by side
# (about 26 minutes on two cores: see reports/README.md).
mutants: setup
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(COURSE) mutants --jobs 2

# Every benchmark side by side with its reference, one BLAS/PyTorch thread, about
# 16 minutes on two cores (see benchmarks/run.py); writes benchmarks/RESULTS.md.
bench: setup
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PYTHON) benchmarks/run.py

clean:
	rm -rf submitted autograded feedback gradebook.db grades.csv demo_scores.csv batches e2e-artifacts
