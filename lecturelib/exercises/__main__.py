"""``python -m lecturelib.exercises``: list the exercises (id, notebook, title).

``--mistakes`` instead runs every catalogued wrong implementation through its
checker and prints a table of which ones are caught and named.
"""

from __future__ import annotations

import argparse
import sys

from . import list_exercises, load_wrong_implementations, mistake_table


def _print_exercises() -> None:
    exercises = list_exercises()
    id_width = max(len(e.id) for e in exercises)
    notebook_width = max(len(e.notebook) for e in exercises)
    print(f"{'id':<{id_width}}  {'notebook':<{notebook_width}}  title")
    for e in exercises:
        print(f"{e.id:<{id_width}}  {e.notebook:<{notebook_width}}  {e.title}")
    counts: dict[str, int] = {}
    for e in exercises:
        counts[e.notebook] = counts.get(e.notebook, 0) + 1
    print(f"\n{len(exercises)} exercises in {len(counts)} notebooks")


def format_mistakes(rows, markdown: bool = False) -> str:
    """The mistakes table (rows from ``mistake_table``) as text or Markdown, with a summary."""
    lines = []
    if markdown:
        lines.append("| exercise | notebook | wrong implementation | caught | named |")
        lines.append("|---|---|---|---|---|")
        for r in rows:
            caught = "yes" if r["caught"] else "NO"
            named = "yes" if r["named"] else "NO"
            lines.append(f"| {r['id']} | {r['notebook']} | {r['mistake']} | {caught} | {named} |")
    else:
        for r in rows:
            verdict = "named " if r["named"] else ("caught" if r["caught"] else "MISSED")
            lines.append(f"{verdict}  {r['id']:<24} {r['mistake']}")
            if not r["named"]:
                lines.append(f"        message: {r['message']}")
    caught = sum(r["caught"] for r in rows)
    named = sum(r["named"] for r in rows)
    exercises = len({r["id"] for r in rows})
    lines.append(
        f"\n{len(rows)} wrong implementations of {exercises} exercises: "
        f"{caught} rejected, {named} rejected with the mistake named"
    )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lecturelib.exercises", description=__doc__)
    parser.add_argument(
        "--mistakes", action="store_true", help="print which wrong implementations are caught"
    )
    parser.add_argument("--markdown", action="store_true", help="the mistakes table in Markdown")
    args = parser.parse_args(argv)
    if args.mistakes:
        load_wrong_implementations()
        rows = mistake_table()
        print(format_mistakes(rows, args.markdown))
        return 0 if all(r["named"] for r in rows) else 1
    _print_exercises()
    return 0


if __name__ == "__main__":
    sys.exit(main())
