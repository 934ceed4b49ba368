"""pytest setup for the prunebound package: the CLI to compare with, the
source tree, and skips reported to CTest (PB_PYTEST_SKIP_CODE=77)."""

import os
import shutil
import subprocess

import pytest

SOURCE = os.path.abspath(os.environ.get("PB_SOURCE_DIR",
                        os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))))

_skipped = []


def pytest_runtest_logreport(report):
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    # A skipped test is reported as skipped to CTest (exit 77), never as a pass;
    # pytest's own 5 (no tests collected) stays a failure.
    code = os.environ.get("PB_PYTEST_SKIP_CODE")
    if code and _skipped and exitstatus == 0:
        session.exitstatus = int(code)


@pytest.fixture(scope="session")
def source():
    return SOURCE


@pytest.fixture(scope="session")
def cli():
    """Runs the prunebound executable; returns the CompletedProcess."""
    exe = os.environ.get("PRUNEBOUND_CLI") or shutil.which("prunebound")
    if not exe:
        pytest.fail("PRUNEBOUND_CLI is not set and prunebound is not on PATH")

    def run(*args, check=True, cwd=None):
        env = dict(os.environ, OPENBLAS_NUM_THREADS=os.environ.get("OPENBLAS_NUM_THREADS", "1"))
        r = subprocess.run([exe] + [str(a) for a in args], capture_output=True, text=True,
                           cwd=cwd, env=env)
        if check and r.returncode != 0:
            raise AssertionError("prunebound %s: exit %d\n%s" % (" ".join(map(str, args)),
                                                                r.returncode, r.stderr))
        return r
    return run


@pytest.fixture(scope="session")
def pendulum_policy(source):
    return os.path.join(source, "configs", "policies", "pendulum.h5")


@pytest.fixture(scope="session")
def cartpole_policy(source):
    return os.path.join(source, "configs", "policies", "cartpole.h5")
