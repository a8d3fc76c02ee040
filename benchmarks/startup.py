"""Start-up time of mfc as whole processes: ``mfc --help`` and ``mfc lint`` on the bundled
example, against ``python -c pass`` (the floor no Python command can go below).

    python benchmarks/startup.py [ROUNDS]

Each command runs once to warm up (bytecode, Lark's table cache, page cache), then
ROUNDS times in turn; prints every median and its margin to the goal (0.15 s each for
``--help`` and ``lint``).  The cores may be shared: the load average is printed too.
"""

from __future__ import annotations

import statistics
import sys

from processes import REPO, load, mfc, wall

GOAL = 0.15  # seconds, whole process (issue 9)


def main(rounds: int = 11) -> None:
    example = str(REPO / "examples" / "smollm2" / "Modelfile")
    commands = {
        "python -c pass": ([sys.executable, "-c", "pass"], (0,), None),
        "mfc --help": ([*mfc(), "--help"], (0,), GOAL),
        "mfc lint FILE": ([*mfc(), "lint", example], (0, 1), GOAL),  # 1: the example's FROM is not linked
    }
    print(f"{rounds} rounds; {load()}")
    for argv, ok, _ in commands.values():
        wall(argv, cwd=REPO, ok=ok)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, (argv, ok, _) in commands.items():
            times[name].append(wall(argv, cwd=REPO, ok=ok))
    floor = statistics.median(times["python -c pass"])
    for name, (_, _, goal) in commands.items():
        median = statistics.median(times[name])
        line = f"{name:15} median {median:.3f} s  (min {min(times[name]):.3f}, {median - floor:+.3f} s over the floor)"
        if goal is not None:
            verdict = "meets" if median <= goal else "MISSES"
            line += f"  goal <= {goal:.2f} s: {verdict} it by {abs(goal - median):.3f} s"
        print(line)
    print(f"after: {load()}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 11)
