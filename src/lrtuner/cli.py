"""Command line: ``lrtuner plot`` (and ``lrtuner bench``, forwarded to ``lrtuner-bench``).

Examples::

    lrtuner plot bench-results/quick/runs/digits-mlp/lrtuner/seed0.history.jsonl -o lr.png
    lrtuner plot HISTORY.jsonl --fit-step 120 -o fit.png
    lrtuner plot HISTORY.jsonl --fit-step 1 -o seed_search.png   # the seed search's curve
    lrtuner bench run --profile quick    # the same as `lrtuner-bench run --profile quick`
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .extras import MissingExtraError, require_extra


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lrtuner", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    bench = sub.add_parser(
        "bench", help="benchmark LRTuner (the separate lrtuner-bench package; see README)"
    )
    try:
        from lrtuner_bench.cli import add_commands
    except ImportError:
        bench.add_argument("rest", nargs=argparse.REMAINDER)
    else:
        add_commands(bench)

    plot = sub.add_parser("plot", help="plot an LR trace from a JSONL decision history")
    plot.add_argument("history", help="JSONL file, one decision record per line")
    plot.add_argument("-o", "--output", required=True, help="image file to write (.png, .pdf)")
    plot.add_argument(
        "--fit-step",
        type=int,
        default=None,
        help=(
            "plot the decision at this step instead of the LR trace: its quadratic fit, or "
            "the one-step loss curve of the seed search (step 1)"
        ),
    )
    return parser


def _plot(args: argparse.Namespace) -> int:
    require_extra("matplotlib", "plot", "lrtuner plot")
    from . import plotting

    history = plotting.read_history(args.history)
    if args.fit_step is None:
        fig = plotting.plot_lr_trace(history, title=args.history)
    else:
        matches = [r for r in history if int(r.get("step", -1)) == args.fit_step]
        drawable = [r for r in matches if plotting.is_seed_search(r) and r.get("epsilons")] + [
            r for r in matches if plotting.has_fit(r)
        ]
        if not drawable:
            fitted = sorted(
                {int(r["step"]) for r in history if plotting.has_fit(r)}
                | {int(r["step"]) for r in history if plotting.is_seed_search(r)}
            )
            what = "no decision" if not matches else "no fit and no seed search"
            raise ValueError(
                f"Invalid fit-step: {args.fit_step} ({what} at that step); steps with a "
                f"figure: {fitted[:20] or 'none'}"
            )
        fig = plotting.plot_decision(drawable[0])
    fig.savefig(args.output, dpi=110)
    print(f"wrote {args.output}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``lrtuner`` command; returns the exit status."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "plot":
            return _plot(args)
        try:
            from lrtuner_bench.cli import run_command
        except ImportError:
            print(
                "lrtuner: error: `lrtuner bench` needs the benchmark package, which is not "
                "installed: run `./run setup` in the repository, or "
                "`pip install -e bench` from its root",
                file=sys.stderr,
            )
            return 1
        return run_command(args, parser)
    except MissingExtraError as exc:  # an optional package: the message names its extra
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 1
    except (ValueError, FileNotFoundError, ImportError) as exc:
        parser.error(str(exc))
    return 2  # pragma: no cover - parser.error exits


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
