"""Search's SQL time per query (issue 15): the statements a search page's goods and facet
counts send, each run again under EXPLAIN ANALYZE on PostgreSQL, best of a few runs.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/yt_search \
        .venv/bin/python bench/search_sql.py [--runs 3] [--plan TERM] [TERM ...]

With no TERM: bench/cold_render.py's SEARCH_TERMS and a few broad English ones. The figure
is PostgreSQL's own "Execution Time" (planning apart), in milliseconds: the server's work,
not this machine's Python. "goods" is the page of results (find_products, relaxed retry
included when it happens); "facets" is the facet counts' grouped query (cached a minute by
the app, so paid once per query per minute)."""
from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

EXTRA_TERMS = ["clothing", "jade", "jade bangle", "tea", "翡翠手镯"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("terms", nargs="*")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--plan", action="store_true", help="print the plans too")
    parser.add_argument("--no-facets", action="store_true")
    parser.add_argument("--page", type=int, default=1, help="the results page to measure")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgresql"):
        raise SystemExit("set DATABASE_URL to a PostgreSQL database")

    from sqlalchemy import event

    from app import create_app
    from app.catalog import facets, services
    from app.catalog.filters import ProductFilter
    from app.extensions import db
    from bench.cold_render import SEARCH_TERMS

    terms = args.terms or list(dict.fromkeys(SEARCH_TERMS + EXTRA_TERMS))
    app = create_app({"REFERENCE_CACHE_TTL": 0})
    with app.test_request_context():
        services.query_terms("warm")  # the name index, read once

        def statements(call) -> list[tuple[str, object]]:
            seen = []

            def note(conn, cursor, statement, parameters, context, executemany):
                head = statement.lstrip().upper()
                if head.startswith("SET") or (head.startswith(("SELECT", "WITH"))
                                              and "products" in statement):
                    seen.append((statement, parameters))  # settings replayed in order

            event.listen(db.engine, "before_cursor_execute", note)
            try:
                call()
            finally:
                event.remove(db.engine, "before_cursor_execute", note)
            return [s for s in seen if "FROM categories" not in s[0]
                    and "FROM industries" not in s[0]]

        def explain(statement: str, parameters) -> tuple[float, str]:
            best, plan = None, ""
            raw = db.session.connection().connection.driver_connection
            if statement.lstrip().upper().startswith("SET"):
                raw.execute(statement)
                return 0.0, ""
            for _ in range(args.runs):
                rows = raw.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement,
                                   parameters).fetchall()
                text = "\n".join(r[0] for r in rows)
                ms = float(re.search(r"Execution Time: ([\d.]+) ms", text).group(1))
                if best is None or ms < best:
                    best, plan = ms, text
            return best, plan

        print(f"{'query':<14}{'goods ms':>10}{'facets ms':>11}{'rows':>6}")
        worst = 0.0
        for term in terms:
            f = ProductFilter(q=term, page=args.page)
            found = []
            goods = statements(lambda f=f, found=found: found.append(services.find_products(f)))
            goods_ms = 0.0
            for statement, parameters in goods:
                ms, plan = explain(statement, parameters)
                goods_ms += ms
                if args.plan and plan:
                    print(plan)
            facet_ms = 0.0
            if not args.no_facets:
                for statement, parameters in statements(
                        lambda f=f: facets._listing_facets(f, ())):
                    ms, plan = explain(statement, parameters)
                    facet_ms += ms
                    if args.plan and plan:
                        print(plan)
            worst = max(worst, goods_ms)
            print(f"{term:<14}{goods_ms:>10.2f}{facet_ms:>11.2f}{len(found[0].items):>6}"
                  + (" relaxed" if found[0].relaxed else ""))
        print(f"\nworst goods query: {worst:.2f} ms")


if __name__ == "__main__":
    main()
