# cli_conventions.py BIN TMP: the command-line conventions of docs/CLI.md
# exercised through the built binary: --opt=value on every command, --json
# documents checked against the files and the library's values (h5py), error
# messages, SIGINT during run leaving nothing, the progress line of
# `prune --method obs` on a terminal (script(1)) within two seconds and of
# `plot`, and nothing on stderr off a terminal (prune, plot, export-c, certify).
import json, os, shutil, signal, subprocess, sys, time
try:
    import h5py, numpy as np
except ImportError:
    print("h5py and numpy are needed (python3-h5py): skipped", file=sys.stderr)
    sys.exit(77)  # CTest: skipped, never passed
if not shutil.which("script"):
    print("script(1) (util-linux) is needed for the terminal test: skipped", file=sys.stderr)
    sys.exit(77)

BIN, TMP = sys.argv[1], sys.argv[2]
os.makedirs(TMP, exist_ok=True)
fails = []

def run(*args, **kw):
    p = subprocess.run([BIN] + list(args), capture_output=True, text=True, **kw)
    return p.returncode, p.stdout, p.stderr

def check(cond, what):
    if not cond:
        fails.append(what)
        print("FAIL:", what, file=sys.stderr)

def path(n):
    return os.path.join(TMP, n)

def write_policy(p, sizes, seed=1):
    rng = np.random.default_rng(seed)
    with h5py.File(p, "w") as f:
        f.attrs["format"] = "prunebound-mlp"
        f.attrs["format_version"] = 1
        for k in range(1, len(sizes)):
            g = f.create_group(f"layers/{k}")
            g["W"] = rng.normal(0, 0.3, (sizes[k], sizes[k - 1]))
            g["b"] = np.zeros(sizes[k])
            g.attrs["activation"] = "Tanh" if k < len(sizes) - 1 else "LINEAR"  # any case
    return p

pol = write_policy(path("pol.h5"), [2, 16, 16, 1])
with h5py.File(path("states.h5"), "w") as f:
    f["states"] = np.random.default_rng(2).uniform(-1, 1, (64, 2))

cfg = path("run.cfg")
open(cfg, "w").write(
    'plant = { name = "pendulum"; };\n'
    'simulation = { period = 0.05; horizon = 1.0; };\n'
    f'policy = {{ file = "{pol}"; }};\n'
    'pruning = ( { method = "magnitude"; sparsity = 0.5; }, { method = "obs"; sparsity = 0.3; } );\n'
    'scenarios = ( { x0 = [0.1, 0.0]; }, { x0 = [-0.2, 0.1]; } );\n'
    'montecarlo = { samples = 8; sampler = { type = "box"; low = [-0.2, -0.2]; high = [0.2, 0.2]; }; };\n')

# ---- --opt=value on every command, and --json checked against the files ----
rc, out, err = run("prune", f"--model={pol}", f"--calib={path('states.h5')}", "--method=obs",
                   "--sparsity=0.5", f"--output={path('pruned.h5')}", "--quiet")
check(rc == 0 and os.path.exists(path("pruned.h5")), f"prune --opt=value: {rc} {err}")

rc, out, err = run("run", cfg, f"--output={path('run.h5')}", "--set=simulation.horizon=1.5", "--json")
check(rc == 0, f"run --json: {rc} {err}")
if rc == 0:
    d = json.loads(out)
    with h5py.File(path("run.h5"), "r") as f:
        s = f["summary"][:]
        check(len(d["rows"]) == len(s), "run --json: one row per /summary row")
        for r, row in zip(d["rows"], s):
            check(abs(r["max_dev_bound"] - row["max_dev_bound"]) <= 1e-15 * abs(row["max_dev_bound"]),
                  "run --json max_dev_bound = /summary")
            check(r["violations"] == row["violations"], "run --json violations")
        check(d["criterion"]["horizon"] == 1.5, "run --set=... applied")

rc, out, err = run("montecarlo", cfg, f"--output={path('mc.h5')}", "--samples=6", "--threads=2", "--json")
check(rc == 0, f"montecarlo --json: {rc} {err}")
if rc == 0:
    d = json.loads(out)
    check(d["samples"] == 6, "montecarlo --samples=6")
    with h5py.File(path("mc.h5"), "r") as f:
        a = f["aggregates"][:]
        for v, row in zip(d["variants"], a):
            check(v["n"] == row["n"] == 6, "montecarlo --json n")
            check(v["rate_pruned"] == row["rate_pruned"], "montecarlo --json rate = /aggregates")
            check(v["rate_pruned_ci95"] == [row["rate_pruned_lo"], row["rate_pruned_hi"]], "ci")
    rc2, out2, err2 = run("info", path("mc.h5"), "--json")
    d2 = json.loads(out2) if rc2 == 0 else {}
    check(rc2 == 0 and d2.get("kind") == "montecarlo" and d2["variants"] == d["variants"],
          f"info --json on a Monte Carlo file = montecarlo --json: {err2}")
    rc2, out2, _ = run("info", path("mc.h5"))
    check(rc2 == 0 and "conv_orig" in out2 and "95% CI" in out2, "info prints the aggregates table")

rc, out, err = run("bound", f"--model={pol}", f"--pruned={path('pruned.h5')}",
                   f"--states={path('states.h5')}", f"--output={path('bound.h5')}", "--json")
check(rc == 0, f"bound --json: {rc} {err}")
if rc == 0:
    d = json.loads(out)
    with h5py.File(path("bound.h5"), "r") as f:
        check(d["max_dev_actual"] == float(np.max(f["dev_actual"][:])), "bound --json max_dev_actual")
        check(d["max_dev_bound"] == float(np.max(f["dev_bound"][:])), "bound --json max_dev_bound")
    check(d["n_states"] == 64, "bound n_states")

rc, out, err = run("certify", f"--model={pol}", "--eps=0.1", "--radius=1", "--method=magnitude", "--json")
check(rc == 0 and json.loads(out)["eps"] == 0.1 and len(json.loads(out)["layers"]) == 3,
      f"certify --opt=value --json: {rc} {err}")

rc, out, err = run("info", pol, "--json")
check(rc == 0, f"info --json policy: {err}")
if rc == 0:
    d = json.loads(out)
    with h5py.File(pol, "r") as f:
        for l in d["layers"]:
            W = f[f"layers/{l['layer']}/W"]
            check([l["n_out"], l["n_in"]] == list(W.shape), "info --json layer shape = W's shape")
    check([l["activation"] for l in d["layers"]] == ["tanh", "tanh", "linear"],
          "activations read case-insensitively")

rc, out, err = run("plants", "--json")
check(rc == 0, "plants --json")
if rc == 0:
    for p in json.loads(out)["plants"]:
        check(p["nx"] == len(p["states"]) and p["nu"] == len(p["inputs"]), f"plants --json {p['name']}")
        rc2, out2, _ = run("plants", p["name"], "--json")
        check(rc2 == 0 and json.loads(out2)["plants"][0] == p, "plants NAME --json")
rc, out, err = run("plants", "pendulum", "--demo", "--steps=5", "--period=0.1", "--param=m=2")
check(rc == 0 and "pendulum" in out, f"plants --steps=5: {err}")
rc, _, err = run("plants", "--json=yes")
check(rc == 2 and "takes no value" in err, "a flag given a value is refused")

rc, _, err = run("export-c", pol, f"--output={path('p.c')}", "--name=ctrl", "--float")
check(rc == 0 and "ctrl_eval" in open(path("p.c")).read(), f"export-c --opt=value: {err}")
rc, _, err = run("convert", "x.nnet", "--format=bogus", f"--output={path('c.h5')}")
check(rc == 2 and "unknown format 'bogus'" in err, "convert --format=bogus parsed")
rc, _, err = run("plot", path("run.h5"), "--format=bogus")
check(rc == 2 and "bogus" in err, "plot --format=bogus parsed")
# The config has policy.file: the added policy.train makes two policies.
rc, _, err = run("train", cfg, f"--output={path('t.h5')}", "--set=policy.train.epochs=3")
check(rc == 2 and "one of file, import or train (got 2)" in err, f"train --set=... parsed: {err}")

spec_cfg = path("spec.cfg")
open(spec_cfg, "w").write(open(cfg).read() +
    'spec = ( { name = "small"; always = [0.0, 1.0]; box = { theta = [-0.5, 0.5]; }; } );\n')
rc, out, err = run("falsify", spec_cfg, "--budget=20", "--seed=2", "--variant=magnitude_s0.50",
                   "--box=-0.2,0.2,-0.2,0.2", "--json", "--quiet")
check(rc == 0 and err == "", f"falsify --opt=value --quiet: {rc} {err}")
if rc == 0:
    d = json.loads(out)
    check(d["command"] == "falsify" and d["seed"] == 2 and d["variant"] == "magnitude_s0.50" and d["evaluations"] <= 20 and
          all(-0.2 <= x <= 0.2 for x in d["x0"]), f"falsify --json reflects the options: {d}")

# ---- error messages ----
rc, _, err = run("run", path("missing.cfg"))
check(rc == 2 and "No such file or directory" in err, "cannot open appends strerror")
rc, _, err = run("run", pol)
check(rc == 2 and "HDF5 file" in err, f"run POLICY.h5 says HDF5: {err}")
bad = path("mixed.cfg")
open(bad, "w").write(open(cfg).read().replace("x0 = [0.1, 0.0]", "x0 = [0.1, 0]"))
rc, _, err = run("run", bad)
check(rc == 2 and "write 0.0, not 0" in err, f"mismatched element type hint: {err}")
rc, _, err = run("run", cfg, "-o", path("no/such/dir/out.h5"))
check(rc == 2 and not os.path.exists(path("no")) and "No such file" in err,
      f"run creates no parent folder: {err}")
rc, _, err = run("montecarlo", cfg, "-o", path("nodir/mc.h5"))
check(rc == 2 and not os.path.exists(path("nodir")), f"montecarlo creates no parent folder: {err}")

# ---- SIGINT during run leaves nothing behind ----
long_cfg = path("long.cfg")
open(long_cfg, "w").write(open(cfg).read().replace("horizon = 1.0", "horizon = 2000.0"))
res = path("long.h5")
p = subprocess.Popen([BIN, "run", long_cfg, "-o", res], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
t0 = time.time()
while not os.path.exists(res + ".tmp") and time.time() - t0 < 60 and p.poll() is None:
    time.sleep(0.01)
check(os.path.exists(res + ".tmp"), "run created its .tmp")
p.send_signal(signal.SIGINT)
_, e = p.communicate(timeout=600)
check(p.returncode != 0 and b"interrupted by SIGINT" in e, f"run stops on SIGINT: {p.returncode} {e}")
check(not os.path.exists(res) and not os.path.exists(res + ".tmp"), "SIGINT leaves nothing behind")

# ---- progress on a terminal: prune --method obs on a 256-wide layer ----
wide = write_policy(path("wide.h5"), [16, 256, 256, 4], seed=3)
with h5py.File(path("wide_states.h5"), "w") as f:
    f["states"] = np.random.default_rng(4).normal(0, 1, (512, 16))
cmd = (f"{BIN} prune -m {wide} -c {path('wide_states.h5')} --method obs --sparsity 0.9 "
       f"-o {path('wide_out.h5')}")
# script(1) gives the command a terminal; timeout stops it after two seconds
p = subprocess.run(["timeout", "2", "script", "-qfc", cmd, "/dev/null"], capture_output=True)
check(b"prune obs, layer" in p.stdout and b"rows/s" in p.stdout and b"left" in p.stdout,
      f"progress within 2 s on a terminal: {p.stdout[-300:]!r}")
p = subprocess.run(cmd.split(), capture_output=True)  # off a terminal: quiet
check(p.returncode == 0 and p.stderr == b"", "no progress off a terminal")

# ---- progress on a terminal: plot, one stage over the figures ----
cmd = f"{BIN} plot {path('run.h5')} -o {path('plots_tty')}"
p = subprocess.run(["timeout", "60", "script", "-qfc", cmd, "/dev/null"], capture_output=True)
check(b"plot: " in p.stdout and b"figures/s" in p.stdout and b"left" in p.stdout,
      f"plot progress on a terminal: {p.stdout[-300:]!r}")
check(os.path.isdir(path("plots_tty")), "plot on a terminal drew its figures")

# ---- off a terminal the commands with a progress line write nothing to stderr ----
quiet_cmds = {
    "plot": ["plot", path("run.h5"), "-o", path("plots_pipe")],
    "export-c --calib": ["export-c", pol, "-o", path("q.c"), f"--calib={path('states.h5')}"],
    "certify": ["certify", "-m", pol, "--eps=0.1", "--radius=1", "--method=magnitude"],
    "certify --differential": ["certify", "-m", pol, "--eps=0.1", "--radius=1",
                               "--method=magnitude", "--differential", "--json"],
}
for what, args in quiet_cmds.items():
    rc, out, err = run(*args)
    check(rc == 0 and out != "" and err == "", f"{what} off a terminal: rc {rc}, stderr {err!r}")

print(f"{len(fails)} failure(s)")
sys.exit(1 if fails else 0)
