"""Command line of the benchmark: ``lrtuner-bench run|report``.

Examples::

    lrtuner-bench run --profile quick --out bench-results/quick      # digits, all methods
    lrtuner-bench run --task fmnist-cnn,shakespeare-gpt --method baseline,lrtuner,knee \\
        --seeds 0,1,2 --profile standard --out bench-results/standard
    lrtuner-bench report bench-results/quick
    lrtuner-bench calibrate benchmarks/results/long --profile long
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from lrtuner.extras import MissingExtraError


def build_parser(prog: str = "lrtuner-bench") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, description="benchmark LRTuner against tuned baselines and peers"
    )
    add_commands(parser)
    return parser


def add_commands(parser: argparse.ArgumentParser) -> None:
    """The ``run`` and ``report`` subcommands, on ``parser``."""
    bench_sub = parser.add_subparsers(dest="bench_command", required=True)
    run = bench_sub.add_parser("run", help="train tasks x methods x seeds and store the runs")
    run.add_argument(
        "--task",
        default="digits-mlp",
        help="task name(s), comma-separated, or all | core | development | validation "
        "(core: the long profile's default selection)",
    )
    run.add_argument(
        "--method",
        default="all",
        help="method name(s), comma-separated, or all; lrtuner@0.01 scales the task's seed "
        "LR, lrtuner@peak0.01 the tuned peak LR",
    )
    run.add_argument("--seeds", default="0,1,2", help="comma-separated seeds (default 0,1,2)")
    run.add_argument("--profile", default="quick", help="quick | standard | long | full")
    run.add_argument("--out", default=None, help="output folder (default bench-results/PROFILE)")
    run.add_argument("--data-dir", default=None, help="Fashion-MNIST idx folder override")
    run.add_argument("--steps", type=int, default=None, help="override every task's step budget")
    run.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    run.add_argument("--device", default="cpu", help="cpu (default), cuda, cuda:N or auto")
    run.add_argument(
        "--jobs", type=int, default=1, help="worker processes, one task at a time each (default 1)"
    )
    run.add_argument(
        "--keep-failed",
        action="store_true",
        help="reuse stored failed runs (by default a failed run is trained again)",
    )
    run.add_argument(
        "--calibration", default=None, help="calibration file (default: the committed one)"
    )
    run.add_argument(
        "--no-progress", action="store_true", help="no progress bar: one log line per run"
    )
    run.add_argument("--no-report", action="store_true", help="do not write the report")

    report = bench_sub.add_parser("report", help="tables and figures from a results folder")
    report.add_argument("dir", help="results folder of `lrtuner-bench run`")
    report.add_argument("--no-figures", action="store_true", help="tables only")

    cal = bench_sub.add_parser(
        "calibrate",
        help="choose the calibrated LR per optimizer family from stored development-task runs",
    )
    cal.add_argument("dir", help="results folder holding the calibration-grid runs")
    cal.add_argument("--profile", default="long", help="profile of the runs (default long)")
    cal.add_argument(
        "--write", default=None, help="calibration file to update (default: the committed one)"
    )


def _bench_run(args: argparse.Namespace) -> int:
    from .methods import parse_methods
    from .runner import Benchmark, parse_seeds, parse_tasks
    from .tasks.base import PROFILES

    if args.profile not in PROFILES:
        raise ValueError(f"Invalid profile: {args.profile!r} (choose from {', '.join(PROFILES)})")
    if args.steps is not None and args.steps <= 0:
        raise ValueError(f"Invalid steps: {args.steps} (must be positive)")
    if args.threads <= 0:
        raise ValueError(f"Invalid threads: {args.threads} (must be positive)")
    if args.jobs <= 0:
        raise ValueError(f"Invalid jobs: {args.jobs} (must be positive)")
    if args.calibration is not None:
        import os

        from .calibration import ENV_VAR

        os.environ[ENV_VAR] = args.calibration  # worker processes inherit it
    bench = Benchmark(
        tasks=parse_tasks(args.task),
        methods=parse_methods(args.method, profile=args.profile),
        seeds=parse_seeds(args.seeds),
        profile=args.profile,
        out=args.out or f"bench-results/{args.profile}",
        data_dir=args.data_dir,
        steps=args.steps,
        progress=not args.no_progress,
        threads=args.threads,
        device=args.device,
        jobs=args.jobs,
        keep_failed=args.keep_failed,
        log=args.no_progress,
    )
    out = bench.run()
    print(f"runs stored in {out}")
    if not args.no_report:
        from .report import write_report

        print(f"report: {write_report(out)}")
    return 0


def _bench_report(args: argparse.Namespace) -> int:
    from .report import write_report

    print(f"report: {write_report(args.dir, figures=not args.no_figures)}")
    return 0


def _bench_calibrate(args: argparse.Namespace) -> int:
    from .calibration import calibrate, calibration_path
    from .tasks.base import PROFILES

    if args.profile not in PROFILES:
        raise ValueError(f"Invalid profile: {args.profile!r} (choose from {', '.join(PROFILES)})")
    entry = calibrate(args.dir, args.profile, args.write)
    for family, choice in entry.items():
        print(f"{family}: lr {choice['lr']:g} (mean normalised score {choice['mean_score']})")
    print(f"written to {args.write or calibration_path()}")
    return 0


def run_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Run a parsed ``run``/``report``/``calibrate`` command; errors become usage errors."""
    handlers = {"run": _bench_run, "report": _bench_report, "calibrate": _bench_calibrate}
    try:
        return handlers[args.bench_command](args)
    except (ValueError, FileNotFoundError) as exc:
        parser.error(str(exc))
    except MissingExtraError as exc:  # an optional package: the message names its extra
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 1
    except RuntimeError as exc:  # a missing data set or package names its install command
        from .data import DataUnavailableError

        if not isinstance(exc, DataUnavailableError):
            raise
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 1
    return 2  # pragma: no cover - parser.error exits


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``lrtuner-bench`` command; returns the exit status."""
    parser = build_parser()
    return run_command(parser.parse_args(argv), parser)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
