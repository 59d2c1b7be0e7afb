#!/usr/bin/env python3
"""kubegrade as a Classroom 50 autograder.

Put this file at CLASSROOM/autograders/ASSIGNMENT/autograder.py in your classroom50
repository and give the assignment the runtime in runtime.json beside it (Node 24 on a
hosted Ubuntu runner, whose Docker lets kubegrade start a throwaway cluster: the course's
kit node image when NODE_IMAGE is set, else k3s).

The contract this follows is Classroom 50's wiki page "Advanced Autograding"
(foundation50/classroom50, wiki/Advanced-Autograding.md, section "Contract"):
  - the runner invokes this script once per submission, with the student's checkout as the
    working directory and CLASSROOM, ASSIGNMENT, SUBMISSION_TAG, COMMIT_URL, RELEASE_URL,
    REVIEW_URL, USERNAME/OWNER, ASSIGNMENT_TYPE in the environment;
  - it must leave ./result.json (classroom50/result/v1: kubegrade's `classroom50` report
    writes it, see runner/report/writers/classroom50.ts) and may leave ./release-body.md
    (here: kubegrade's Markdown summary, with the feedback for every check);
  - exit 0 when grading ran end to end, pass or fail; a non-zero exit is an
    infrastructure error, for which the runner publishes status=error instead of a score.
So a refused submission (exit 2 with a report) and a failing one (exit 1) exit 0 here, and
only a grader or cluster failure — kubegrade's exit 3, or a check the grader could not run —
exits 1.

Settings: the constants below, or the same names in the environment.
"""

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import NoReturn

# The kubegrade exercise this assignment is (`npx kubegrade list`).
EXERCISE = os.environ.get("KUBEGRADE_EXERCISE", "web")
# What npm installs: pin the version your course tested, e.g. "kubegrade@0.2.0".
PACKAGE = os.environ.get("KUBEGRADE_PACKAGE", "kubegrade")
# The course's kit node image, pushed once per term with `npx kubegrade images push-node`
# (the reference it printed): grades run on the kit pulled from it. Empty: on k3s.
NODE_IMAGE = os.environ.get("KUBEGRADE_NODE_IMAGE", "")

RESULT = Path("result.json")
RELEASE_BODY = Path("release-body.md")
RUNNER_ENV = ("CLASSROOM", "ASSIGNMENT", "SUBMISSION_TAG", "COMMIT_URL", "RELEASE_URL")


def fail(message: str) -> NoReturn:
    """An infrastructure error: the runner reports status=error, never a score."""
    print(f"::error::kubegrade autograder: {message}", file=sys.stderr)
    sys.exit(1)


def committed_at() -> str | None:
    """The graded commit's committer date (epoch seconds): result.json's `datetime`."""
    try:
        # safe.directory: in a container the checkout may belong to another user.
        out = subprocess.run(
            ["git", "-c", "safe.directory=*", "log", "-1", "--format=%ct", "HEAD"],
            capture_output=True, text=True, timeout=60, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    value = out.stdout.strip()
    return value if out.returncode == 0 and value.isdigit() else None


def main() -> None:
    missing = [name for name in RUNNER_ENV if not os.environ.get(name)]
    if missing:
        fail(f"not run by Classroom 50's runner: {', '.join(missing)} not set")

    # Whatever the student committed under these names is not a grade.
    for stale in (RESULT, RELEASE_BODY):
        stale.unlink(missing_ok=True)

    # Installed outside the student's checkout, from there: neither their package.json nor
    # their .npmrc chooses the grader.
    work = Path(tempfile.mkdtemp(prefix="kubegrade-", dir=os.environ.get("RUNNER_TEMP") or None))
    install = subprocess.run(
        ["npm", "install", "--no-save", "--no-audit", "--no-fund", "--prefix", str(work), PACKAGE],
        cwd=work, stdout=sys.stderr, check=False,
    )
    kubegrade = work / "node_modules" / ".bin" / "kubegrade"
    if install.returncode != 0 or not kubegrade.exists():
        fail(f"npm could not install {PACKAGE} (exit {install.returncode})")

    env = dict(os.environ)
    if NODE_IMAGE:
        env["KUBEGRADE_NODE_IMAGE"] = NODE_IMAGE
    when = committed_at()
    if when:
        env["KUBEGRADE_COMMITTED_AT"] = when
    report_path = work / "report.json"
    reports = f"classroom50={RESULT},summary={RELEASE_BODY},json={report_path}"
    # kubegrade quotes the student's manifests: no line of its output may act as a workflow command.
    token = f"kubegrade-{secrets.token_hex(16)}"
    print(f"::stop-commands::{token}", flush=True)
    try:
        graded = subprocess.run([str(kubegrade), "grade", EXERCISE, ".", "--report", reports], env=env, check=False)
    finally:
        print(f"::{token}::", flush=True)

    report = None
    if report_path.is_file():
        report = json.loads(report_path.read_text(encoding="utf-8"))
    shutil.rmtree(work, ignore_errors=True)

    if report is None:
        fail(f"kubegrade exited {graded.returncode} without a report (bad settings? EXERCISE={EXERCISE!r})")
    if report.get("infrastructureError"):
        fail(f"the grader or the cluster failed: {report['infrastructureError']}")
    not_run = [c["id"] for c in report.get("checks", []) if c.get("status") == "error"]
    if not_run:
        fail(f"the grader could not run {', '.join(not_run)}; grade again")
    if graded.returncode not in (0, 1, 2) or not RESULT.is_file():
        fail(f"kubegrade exited {graded.returncode} without {RESULT}")
    # Graded (passed, not passed, or refused): the score is in result.json.
    sys.exit(0)


if __name__ == "__main__":
    main()
