"""`flask --app wsgi hub …`: the demo, listing users, issuing tokens, verifying the audit log,
and the hub's clock (the scheduler and its jobs).

Every area declares its scheduled jobs in its own jobs.py; they are loaded here, with the
commands that list and run them, so the clock itself imports no area."""

import json
import signal
import sys
import threading

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from hub import audit, permissions
from hub.accounts import jobs as account_jobs
from hub.accounts import sign_in, tokens
from hub.analytics import commands as analytics_commands
from hub.analytics import demo as analytics_demo
from hub.analytics import jobs as analytics_jobs
from hub.audit import checkpoints, protection
from hub.audit import jobs as audit_jobs
from hub.casework import jobs as casework_jobs
from hub.clock import scheduler
from hub.conferences import jobs as conference_jobs
from hub.core.timeutil import format_local
from hub.demo.build import DEMO_PASSWORD, build_demo
from hub.extensions import db
from hub.lifecycle import commands as lifecycle_commands
from hub.lifecycle import jobs as lifecycle_jobs
from hub.models import SchedulerHeartbeat, User
from hub.sharing import agreements
from hub.sharing import jobs as sharing_jobs
from hub.victims import jobs as victim_jobs

# The jobs each area registers with the clock (@scheduled) as its module loads.
AREA_JOBS = (
    account_jobs,
    analytics_jobs,
    audit_jobs,
    casework_jobs,
    conference_jobs,
    lifecycle_jobs,
    sharing_jobs,
    victim_jobs,
)

hub_cli = AppGroup("hub", help="Focus Hub administration.")
hub_cli.add_command(analytics_commands.import_police_uk)
hub_cli.add_command(analytics_commands.monthly_report)
hub_cli.add_command(lifecycle_commands.backup)
hub_cli.add_command(lifecycle_commands.export_command)
hub_cli.add_command(lifecycle_commands.import_command)
hub_cli.add_command(lifecycle_commands.retention_command)
hub_cli.add_command(lifecycle_commands.legal_hold_command)


@hub_cli.command("demo")
@click.option("--if-empty", is_flag=True, help="Only build the demo if there are no users yet.")
def demo_command(if_empty: bool) -> None:
    """Build the demo hub, its partners and a person in every role. Safe to run twice."""
    if if_empty and db.session.execute(select(User.id).limit(1)).first():
        click.echo("The database already has users: demo not loaded.")
        return
    summary = build_demo()
    city = analytics_demo.build(DEMO_PASSWORD)
    db.session.commit()
    click.echo(f"Demo hub: {summary['hub']} ({summary['created']} records created).")
    added, skipped = city["import"]
    click.echo(
        f"Demo hub: {city['hub']}, with police.uk's City of London months "
        f"({added} rows added, {sum(skipped.values())} skipped)."
    )
    click.echo(
        f"Sign in at {current_app.config['BASE_URL']}/sign-in with any of these, password "
        + DEMO_PASSWORD
    )
    for email, role in summary["people"] + city["people"]:
        click.echo(f"  {email:<45} {role}")
    click.echo(
        "Two-factor sign-in is not required in the demo hub, so a password alone signs in. "
        "Try it from 'Your account'; the system administrator can require it for the hub at "
        "/admin/sign-in, as every real hub does by default."
    )


@hub_cli.command("users")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def users_command(as_json: bool) -> None:
    """List users with their agency, hubs and roles."""
    users = db.session.execute(select(User).order_by(User.email)).scalars().all()
    rows = [
        {
            "email": u.email,
            "name": u.name,
            "agency": u.agency.name,
            "agency_kind": u.agency.kind,
            "hubs": [h.slug for h in u.agency.hubs],
            "roles": sorted(
                f"{r.role}@{r.hub.slug}" if r.hub is not None else r.role for r in u.roles
            ),
            "active": u.is_active_account,
        }
        for u in users
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        click.echo(f"{r['email']:<45} {r['agency']:<45} {', '.join(r['roles'])}")


@hub_cli.command("token")
@click.argument("email")
@click.option("--name", default="Command-line token", help="What the token is for.")
def token_command(email: str, name: str) -> None:
    """Issue a personal API token for EMAIL; the token is printed as the last line."""
    user = sign_in.find_user_by_email(email)
    if user is None or not user.is_active:
        click.echo(f"No active user has the email address {email}.", err=True)
        sys.exit(1)
    token, _row = tokens.issue_token(user, name)
    db.session.commit()
    click.echo(f"API token for {user.email} ({name}). It is shown once: keep it safe.")
    click.echo(token)


audit_cli = AppGroup("audit", help="The tamper-evident audit log.")
hub_cli.add_command(audit_cli)


@audit_cli.command("verify")
def audit_verify_command() -> None:
    """Check every entry's hash chain and the signed checkpoints kept outside the database;
    report the first broken link and every checkpoint the log no longer matches."""
    report = audit.verify_chain()
    findings = checkpoints.check()
    if report.broken_at is not None:
        click.echo(
            f"Audit log BROKEN at entry {report.broken_at}: {report.reason} "
            f"({report.checked} entries verified before it).",
            err=True,
        )
    for finding in findings:
        click.echo(f"Audit log BROKEN: checkpoint line {finding.line} {finding.problem}.", err=True)
    if report.broken_at is not None or findings:
        sys.exit(1)
    for problem in protection.problems():
        click.echo(f"Warning: this role could alter the audit log: {problem}.", err=True)
    lines = len(checkpoints.read())
    click.echo(
        f"Audit log verified: {report.checked} entries, chain intact, and it matches "
        f"{lines} signed checkpoint{'' if lines == 1 else 's'}."
    )
    for anchor in audit.anchors():
        click.echo(
            f"Re-chained on {anchor.at:%Y-%m-%d %H:%M} UTC from entry "
            f"{anchor.first_changed_id} ({anchor.redacted_entries} entries cleaned of "
            f"personal data); the head before was {anchor.superseded_hash}."
        )


@audit_cli.command("grant-app-role")
@click.argument("role")
def audit_grant_command(role: str) -> None:
    """PostgreSQL: let ROLE (the role the web and the scheduler run under) read and write the
    hub's tables but only read and add to the audit log. Run as the tables' owner after every
    `db upgrade`."""
    if db.session.get_bind().dialect.name != "postgresql":
        click.echo("Only PostgreSQL has roles: nothing to do.", err=True)
        sys.exit(1)
    protection.grant_app_role(role)
    db.session.commit()
    click.echo(f"{role} may now use the hub's tables, and only read and add to the audit log.")


@audit_cli.command("checkpoint")
def audit_checkpoint_command() -> None:
    """Write down the chain's head now, signed, outside the database (the scheduler does
    this every 10 minutes)."""
    made = checkpoints.make()
    if made is None:
        click.echo("Nothing new since the last checkpoint.")
    else:
        click.echo(f"Checkpoint written: entry {made.entry_id}, {made.entry_hash}.")


@hub_cli.command("scheduler")
def scheduler_command() -> None:
    """Run the hub's scheduler in the foreground. Start one per deployment; a second one
    waits on standby and takes over if the first stops."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    scheduler.run_scheduler(current_app._get_current_object(), stop)


@hub_cli.command("jobs")
def jobs_command() -> None:
    """List the hub's scheduled jobs and when the scheduler last beat."""
    for spec in sorted(scheduler.JOBS.values(), key=lambda s: s.name):
        args = ", ".join(f"{k}={v}" for k, v in spec.trigger_args.items())
        first_line = (spec.description or "").strip().splitlines()[0]
        click.echo(f"{spec.name:<28} {spec.trigger}({args:<24}) {first_line}")
    beat = db.session.get(SchedulerHeartbeat, 1)
    when = format_local(beat.beat_at) if beat else "never"
    click.echo(f"Last heartbeat: {when}" + (f" from {beat.runner}" if beat else ""))


@hub_cli.command("run-job")
@click.argument("name")
def run_job_command(name: str) -> None:
    """Run one job now, in this process (it stays idempotent)."""
    if name not in scheduler.JOBS:
        click.echo(f"No job is called {name}. `flask --app wsgi hub jobs` lists them.", err=True)
        sys.exit(1)
    scheduler.JOBS[name].func()
    db.session.commit()
    click.echo(f"Ran {name}.")


@hub_cli.command("isa-reminders")
@click.option("--days", type=int, default=None, help="Days ahead to remind (ISA_REMINDER_DAYS).")
def isa_reminders_command(days: int | None) -> None:
    """Email hub managers before an agreement's review or expiry date; never twice."""
    sent = agreements.isa_reminders(permissions.hub_today(), days)
    click.echo(f"ISA reminders sent: {len(sent)}.")
    for isa_id, kind, due_on in sent:
        click.echo(f"  agreement {isa_id}: {kind} on {due_on.isoformat()}")
