"""The ``kuzet`` command against a real database."""

from __future__ import annotations

from click.testing import CliRunner

from dashboard.cli import main


def test_migrate_seed_and_administer(runner: CliRunner, db_url: str) -> None:
    assert runner.invoke(main, ["db", "upgrade", "--db", db_url]).exit_code == 0
    seeded = runner.invoke(main, ["seed", "--db", db_url])
    assert seeded.exit_code == 0 and "8 Almaty district departments created" in seeded.output
    assert "29 departments of Astana, Shymkent and the regions created" in seeded.output
    listed = runner.invoke(main, ["departments", "list", "--db", db_url])
    lines = listed.output.strip().splitlines()
    assert len(lines) == 9 + 29  # Almaty city + 8; Astana city + 6; Shymkent city + 4; 17 regions
    ids = dict(line.split("\t") for line in lines)
    assert "Алмалинское РУП" in ids.values()
    almaly = next(k for k, v in ids.items() if v == "Алмалинское РУП")
    added = runner.invoke(main, ["users", "add", "--db", db_url, "--username", "ivanov", "--role", "duty_officer",
                                 "--department", almaly], input="night-shift-kettle-42\nnight-shift-kettle-42\n")
    assert added.exit_code == 0, added.output
    again = runner.invoke(main, ["users", "add", "--db", db_url, "--username", "ivanov", "--password-stdin",
                                 "--role", "duty_officer", "--department", almaly], input="night-shift-kettle-42\n")
    assert again.exit_code == 1 and "already exists" in again.output
    nodept = runner.invoke(main, ["users", "add", "--db", db_url, "--username", "x", "--password-stdin",
                                  "--role", "duty_officer"], input="night-shift-kettle-42\n")
    assert nodept.exit_code == 1 and "needs --department" in nodept.output
    on_argv = runner.invoke(main, ["users", "add", "--db", db_url, "--username", "y", "--password", "whatever-long-1",
                                   "--role", "admin"])
    assert on_argv.exit_code == 2 and "No such option" in on_argv.output  # a password on argv is in ps and history
    for weak, why in (("12345678", "at least 12"), ("petrov.kz", "at least 12"), (" " * 14, "spaces"),
                      ("petrov.kz.2026", "username"), ("qwertyuiop12", "too common"), ("aaaaaaaaaaaaaa", "too common")):
        refused = runner.invoke(main, ["users", "add", "--db", db_url, "--username", "petrov.kz", "--password-stdin",
                                       "--role", "admin"], input=weak + "\n")
        assert refused.exit_code == 1 and why in refused.output, (weak, refused.output)
    empty = runner.invoke(main, ["users", "add", "--db", db_url, "--username", " ", "--password-stdin",
                                 "--role", "admin"], input="night-shift-kettle-42\n")
    assert empty.exit_code == 1 and "username must be" in empty.output
    operator = runner.invoke(main, ["operators", "add", "--db", db_url, "AlmaVision LLP"])
    assert operator.exit_code == 0 and "API key" in operator.output
    assert operator.output.strip().splitlines()[-1].split()[-1].startswith("kz_")


def test_settings_come_from_the_environment(runner: CliRunner, db_url: str) -> None:
    runner.invoke(main, ["db", "upgrade"], env={"KUZET_DATABASE_URL": db_url})
    runner.invoke(main, ["seed"], env={"KUZET_DATABASE_URL": db_url})
    listed = runner.invoke(main, ["departments", "list"], env={"KUZET_DATABASE_URL": db_url})
    assert listed.exit_code == 0 and len(listed.output.strip().splitlines()) == 38


def test_separate_worker_requires_redis(runner: CliRunner, db_url: str) -> None:
    result = runner.invoke(main, ["worker", "--db", db_url], env={"KUZET_REDIS_URL": ""})
    assert result.exit_code == 1 and "needs Redis" in result.output


def test_any_setting_also_comes_from_a_flag(runner: CliRunner) -> None:
    from services.settings import Settings

    assert Settings.parse_pairs(["incident_cooldown_s=60", "KUZET_RELATED_WITHIN_M=75.5", "coverage_radii=road=200"]) \
        == {"incident_cooldown_s": 60, "related_within_m": 75.5, "coverage_radii": "road=200"}
    for command in ("serve", "demo", "worker"):
        typo = runner.invoke(main, [command, "--set", "incident_coldown_s=60"])
        assert typo.exit_code == 2 and "unknown setting 'incident_coldown_s=60'" in typo.output, typo.output
    not_a_number = runner.invoke(main, ["serve", "--set", "port=eighty"])
    assert not_a_number.exit_code == 2 and "needs a number" in not_a_number.output
