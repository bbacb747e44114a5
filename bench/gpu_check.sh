#!/usr/bin/env bash
# What a machine with a CUDA GPU checks, in one go: the tests that need CUDA, the GPU benchmarks,
# the command and torchrun on the GPU (NCCL), then the whole suite with the GPU present.
#
# The steps take about 3 minutes, the suite up to 5.5 more and its failures' tracebacks 1, so one
# device call of 600 s holds them.
# Run from the repository root, where python3 has a CUDA build of torch, pytest and pytest-xdist,
# and the real Fashion-MNIST is in /usr/share/datasets/fashion-mnist:
#     bench/gpu_check.sh OUT_DIR
# Each step writes its log to OUT_DIR and has its own time limit, so one that hangs costs only
# its own figures. The figures go into bench/RESULTS.md ("On a GPU").
set -uo pipefail
out=${1:?usage: bench/gpu_check.sh OUT_DIR}
mkdir -p "$out"
py=${PYTHON:-python3}
export PYTHONUNBUFFERED=1
# the package, with its console script, over the python3 that has CUDA (no downloads: --no-index)
$py -m pip install -q --no-deps --no-build-isolation --no-index -e . >"$out/install.log" 2>&1 \
    || { cat "$out/install.log"; exit 1; }

step() { # step NAME SECONDS COMMAND...: run one step, its output into OUT_DIR/NAME.log
    local name=$1 limit=$2
    shift 2
    echo "== $name ($(date +%T), limit ${limit}s): $*"
    timeout "$limit" "$@" >"$out/$name.log" 2>&1
    echo "== $name: exit $? after ${SECONDS}s in all"
    tail -n 25 "$out/$name.log"
}

step machine 30 bash -c "nvidia-smi -L; nvidia-smi --query-gpu=driver_version,memory.total --format=csv;
    lscpu | grep -E 'Model name|^CPU\(s\)'; $py -c 'import torch; print(\"torch\", torch.__version__,
    torch.cuda.get_device_name(0))'"
# every test whose name or module says CUDA or GPU (the rest that skip without CUDA: the suite)
step cuda_tests 100 $py -m pytest -q -n 8 -p no:cacheprovider -k "cuda or gpu" tests
step bench_softmax 120 $py bench/bench_softmax.py --device cuda --epochs 3 --repeats 3
step bench_scale 90 $py bench/bench_scale.py --device cuda --scale 20
step torchrun 90 bash -c "torchrun --standalone --nproc_per_node=1 -m linearnets softmax \
    --device cuda --epochs 3 --plot none --out /tmp/ddp-run --json && ls /tmp/ddp-run"
# -v names each test as it ends, so a run cut short by its limit still names its failures;
# worksteal (pytest-xdist 3.2+) hands a busy worker's queued tests to idle ones: under "load", one
# worker was left with a chain of torchrun tests at 98% when the limit came
dist=$($py -c 'import xdist; print("worksteal" if tuple(map(int, xdist.__version__.split(".")[:2])) >= (3, 2) else "load")' 2>/dev/null)
step suite 330 $py -m pytest -v -n 16 --dist "${dist:-load}" -p no:cacheprovider -rfE --durations=15 tests
echo "== suite: the tests that failed or erred"
grep -E "^\[gw[0-9]+\] .*(FAILED|ERROR) " "$out/suite.log" | sed -E 's/^.*(FAILED|ERROR) //; s/ +$//' \
    | sort -u | head -n 30 >"$out/failed.txt"
cat "$out/failed.txt"
# their tracebacks, which a suite cut short by its limit never prints: each failing test again, alone
if [ -s "$out/failed.txt" ]; then
    step failed_again 60 xargs -a "$out/failed.txt" -d '\n' $py -m pytest -q -p no:cacheprovider --tb=short
fi
