"""Benchmark: pull a doccano project of N examples coded by 3 coders (time, requests, peak memory).

    python bench/bench_sync.py --examples 5000 --out bench/results/sync.json

Needs a running doccano from scripts/doccano-server (admin credentials from DOCCANO_ADMIN_USERNAME /
DOCCANO_ADMIN_PASSWORD, the script's defaults otherwise). Steps:

1. a store with N/5 synthetic reviews of 5 paragraphs (N units), pushed with `push_project` into a new
   project (timed: one POST per example);
2. three coders' work seeded straight into doccano's database through its Django models (the work a
   coder does in the browser; seeding it over REST would take longer than the thing measured): each coder
   labels about 40% of units with 1-2 themes, coders 1 and 2 confirm every unit, coder 3 confirms 60%;
3. the pull, in a fresh process, timed, with its request count, its Python peak allocation
   (tracemalloc) and its peak resident memory (ru_maxrss); then a second pull (nothing new).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

WORDS = ("the child mother father partner school nurse social worker police health visitor GP meeting plan "
         "assessment risk referral strategy discussion agency record information shared escalated concern home "
         "visit appointment missed court order domestic abuse history offending education attendance").split()

SEED = r'''
import json, os, random, sys
sys.path.insert(0, os.getcwd())
import django
django.setup()
from django.contrib.auth.models import User
from examples.models import Example, ExampleState
from label_types.models import CategoryType
from labels.models import Category
from projects.models import Member, Project
from roles.models import Role
args = json.loads(sys.stdin.read())
rng = random.Random(args["seed"])
project = Project.objects.get(pk=args["project"])
annotator = Role.objects.get(name="annotator")
types = list(CategoryType.objects.filter(project=project).order_by("id"))
examples = list(Example.objects.filter(project=project).order_by("id"))
users = []
for name in args["coders"]:
    user, _ = User.objects.get_or_create(username=name)
    Member.objects.get_or_create(user=user, project=project, defaults={"role": annotator})
    users.append(user)
cats, states = [], []
for k, user in enumerate(users):
    for ex in examples:
        if rng.random() < 0.4:
            for t in rng.sample(types, rng.choice((1, 1, 2))):
                cats.append(Category(example=ex, user=user, label=t))
        if k < 2 or rng.random() < 0.6:
            states.append(ExampleState(example=ex, confirmed_by=user))
Category.objects.bulk_create(cats, batch_size=2000)
ExampleState.objects.bulk_create(states, batch_size=2000)
print(json.dumps({"labels": len(cats), "confirmed": len(states)}))
'''

PULL = r'''
import json, resource, sys, time, tracemalloc
sys.path.insert(0, sys.argv[1])
from reviewcoder.codebook import default_codebook
from reviewcoder.store import open_store
from reviewcoder.sync.doccano import DoccanoClient
from reviewcoder.sync.pull import pull_project
url, project, store_path, user, password = sys.argv[2:7]
tracemalloc.start()
t0 = time.perf_counter()
with DoccanoClient(url, timeout=120).login(user, password) as client, open_store(store_path) as store:
    result = pull_project(client, int(project), store, default_codebook())
seconds = time.perf_counter() - t0
_, peak = tracemalloc.get_traced_memory()
print(json.dumps({"seconds": round(seconds, 2), "requests": result.requests, "totals": result.totals(),
                  "coders": len(result.coders), "examples": result.examples,
                  "python_peak_mb": round(peak / 2**20, 1),
                  "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))
'''


def synthetic_documents(n_docs: int, rng: random.Random):
    from reviewcoder.records import Document

    docs = []
    for i in range(n_docs):
        paragraphs = []
        for _ in range(5):
            sentences = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 16))).capitalize() + "."
                         for _ in range(rng.randint(2, 4))]
            paragraphs.append(" ".join(sentences))
        docs.append(Document(f"bench-{i:05d}", "\n\n".join(paragraphs)))
    return docs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default=f"http://127.0.0.1:{os.environ.get('DOCCANO_PORT', '8000')}")
    parser.add_argument("--examples", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    user = os.environ.get("DOCCANO_ADMIN_USERNAME", "admin")
    password = os.environ.get("DOCCANO_ADMIN_PASSWORD", "reviewcoder-dev-only")
    doccano_home = Path(os.environ.get("DOCCANO_HOME", REPO / ".doccano"))

    from reviewcoder.codebook import default_codebook
    from reviewcoder.store import open_store
    from reviewcoder.sync.doccano import DoccanoClient
    from reviewcoder.sync.push import push_project

    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    store_path = work / "store.sqlite"
    with open_store(store_path) as store:
        store.add_documents(synthetic_documents(args.examples // 5, rng))
    cb = default_codebook()
    t0 = time.perf_counter()
    with DoccanoClient(args.url, timeout=60).login(user, password) as client, open_store(store_path) as store:
        pushed = push_project(client, store, cb, new_project=f"bench-{int(time.time())}")
    push_seconds = time.perf_counter() - t0
    print(f"push: {pushed.examples_created} examples in {push_seconds:.1f}s ({pushed.requests} requests)", flush=True)

    python = doccano_home / "venv" / "bin" / "python"
    backend = subprocess.run([str(python), "-c", "import backend, os; print(os.path.dirname(backend.__file__))"],
                             capture_output=True, text=True, check=True).stdout.strip()
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings.production", STANDALONE="True", DEBUG="False",
               DATABASE_URL=f"sqlite:///{doccano_home / 'data' / 'db.sqlite3'}",
               MEDIA_ROOT=str(doccano_home / "data" / "media"))
    coders = [f"bench-coder-{pushed.project}-{k}" for k in range(1, 4)]
    seeded = subprocess.run([str(python), "-c", SEED], input=json.dumps({"project": pushed.project, "coders": coders,
                                                                        "seed": args.seed}),
                            capture_output=True, text=True, cwd=backend, env=env)
    if seeded.returncode != 0:
        sys.exit(f"seeding failed: {seeded.stderr[-2000:]}")
    seed_counts = json.loads(seeded.stdout.strip().splitlines()[-1])
    print(f"seeded: {seed_counts}", flush=True)

    runs = []
    for attempt in ("first pull", "second pull"):
        out = subprocess.run([sys.executable, "-c", PULL, str(REPO / "src"), args.url, str(pushed.project), str(store_path),
                              user, password], capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit(f"{attempt} failed: {out.stderr[-2000:]}")
        run = json.loads(out.stdout.strip().splitlines()[-1])
        run["what"] = attempt
        runs.append(run)
        print(f"{attempt}: {run}", flush=True)

    result = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.node()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "examples": args.examples, "coders": 3, "push_seconds": round(push_seconds, 1), "push_requests": pushed.requests,
        "seeded": seed_counts, "pulls": runs,
    }
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
