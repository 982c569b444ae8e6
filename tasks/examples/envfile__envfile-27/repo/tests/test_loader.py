import os

from envfile import load


def test_load_sets_missing_variables(tmp_path, monkeypatch):
    monkeypatch.delenv("ENVFILE_TEST_A", raising=False)
    env = tmp_path / ".env"
    env.write_text("ENVFILE_TEST_A=from-file\n")
    assert load(str(env)) == {"ENVFILE_TEST_A": "from-file"}
    assert os.environ["ENVFILE_TEST_A"] == "from-file"


def test_existing_variables_win_unless_override(tmp_path, monkeypatch):
    monkeypatch.setenv("ENVFILE_TEST_B", "from-shell")
    env = tmp_path / ".env"
    env.write_text("ENVFILE_TEST_B=from-file\n")
    load(str(env))
    assert os.environ["ENVFILE_TEST_B"] == "from-shell"
    load(str(env), override=True)
    assert os.environ["ENVFILE_TEST_B"] == "from-file"
