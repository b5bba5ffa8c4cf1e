"""Configuration comes from the environment and fails clearly."""

import pytest

from hub import create_app
from hub.config import ConfigError, load_config, normalise_database_url


def test_production_without_secret_key_stops_with_a_clear_message(monkeypatch, tmp_path):
    monkeypatch.setenv("HUB_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        load_config(str(tmp_path))


def test_development_generates_a_key_once_and_keeps_it(monkeypatch, tmp_path):
    monkeypatch.delenv("HUB_ENV", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = load_config(str(tmp_path))["SECRET_KEY"]
    assert len(first) >= 40
    assert load_config(str(tmp_path))["SECRET_KEY"] == first
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"


def test_database_url_defaults_to_sqlite_in_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    url = load_config(str(tmp_path))["SQLALCHEMY_DATABASE_URI"]
    assert url == f"sqlite:///{tmp_path / 'hub.sqlite3'}"


def test_postgres_urls_use_psycopg_3():
    assert normalise_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("sqlite:///x") == "sqlite:///x"


def test_bad_settings_are_named(monkeypatch, tmp_path):
    monkeypatch.setenv("HUB_ENV", "staging")
    with pytest.raises(ConfigError, match="HUB_ENV"):
        load_config(str(tmp_path))
    monkeypatch.setenv("HUB_ENV", "development")
    monkeypatch.setenv("IDLE_TIMEOUT_MINUTES", "half an hour")
    with pytest.raises(ConfigError, match="IDLE_TIMEOUT_MINUTES"):
        load_config(str(tmp_path))


def test_unreachable_database_is_a_clear_start_up_error(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x")
    with pytest.raises(ConfigError, match="Cannot reach the database") as err:
        create_app({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://hub:s3cret@127.0.0.1:1/x"})
    assert "s3cret" not in str(err.value)  # the password is never printed


def test_production_cookies_are_secure(monkeypatch, tmp_path):
    monkeypatch.setenv("HUB_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 48)
    config = load_config(str(tmp_path))
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["SCHEDULER_IN_PROCESS"] is False


def test_postgresql_connections_cost_random_reads_as_ssd_storage_never_jit_and_keep_utc(
    monkeypatch, tmp_path
):
    monkeypatch.setenv("DATABASE_URL", "postgres://hub@db/hub")
    config = load_config(str(tmp_path))
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://hub@db/hub"
    options = config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["options"]
    assert options == "-c random_page_cost=1.1 -c jit=off -c timezone=UTC"
    monkeypatch.setenv("DATABASE_URL", "sqlite:///x.sqlite3")
    assert "connect_args" not in load_config(str(tmp_path))["SQLALCHEMY_ENGINE_OPTIONS"]
