"""Command-line entry points: `flask --app wsgi <command>`."""
from __future__ import annotations

import time

import click
from flask import Flask


def init_cli(app: Flask) -> None:
    @app.cli.command("seed-demo")
    @click.option("--scale", type=click.IntRange(0, 2_000_000), default=0,
                  help="Top up the catalogue to at least N products (benchmarks).")
    def seed_demo(scale: int) -> None:
        """Load the demo data (idempotent: run it as often as you like)."""
        from app import demo

        started = time.perf_counter()
        summary = demo.seed(scale=scale)
        for line in summary:
            click.echo(line)
        click.echo(f"seed-demo finished in {time.perf_counter() - started:.1f}s")

    @app.cli.command("create-operator")
    @click.option("--account", required=True, help="Phone number or e-mail.")
    @click.option("--name", default="平台运营", show_default=True)
    @click.password_option("--password", help="At least 8 characters.")
    def create_operator(account: str, name: str, password: str) -> None:
        """Create a platform operator (or promote an existing account)."""
        from app.accounts.services import create_operator as create
        from app.exceptions import DomainError

        try:
            user = create(account, password, name)
        except DomainError as error:
            raise click.ClickException(error.message) from None
        click.echo(f"operator #{user.id} ({user.email or user.phone}) ready")

    @app.cli.command("tick")
    @click.option("--every", type=click.IntRange(0, 3600), default=0,
                  help="Repeat every N seconds (0: run once).")
    def tick(every: int) -> None:
        """Run the background jobs once (cron every minute), or in a loop with --every."""
        from app import tick as ticker

        while True:
            done = ticker.run_all()
            if done and any(done.values()):
                click.echo(" ".join(f"{k}={v}" for k, v in done.items()))
            if not every:
                return
            time.sleep(every)
