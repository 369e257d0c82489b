"""``ghostwriter keys`` and ``ghostwriter serve``: keys stored hashed, mistakes as messages."""
import sqlite3

from ghostwriter.cli import main


def test_keys_create_list_revoke(tmp_path, capsys):
    db = str(tmp_path / "k.db")
    assert main(["keys", "create", "--tenant", "acme", "--db", db]) == 0
    key = capsys.readouterr().out.strip()
    assert key.startswith("gw_") and len(key) > 40
    assert main(["keys", "list", "--db", db]) == 0
    listed = capsys.readouterr().out
    assert key[:10] in listed and "acme" in listed and "active" in listed and key not in listed
    with sqlite3.connect(db) as conn:
        assert key not in str(conn.execute("SELECT * FROM api_keys").fetchall())
    assert main(["keys", "revoke", key[:10], "--db", db]) == 0
    assert main(["keys", "list", "--db", db]) == 0
    assert "revoked" in capsys.readouterr().out
    assert main(["keys", "revoke", key[:10], "--db", db]) == 2
    assert "no active key" in capsys.readouterr().err


def test_serve_mistakes_are_messages(tmp_path, capsys):
    assert main(["serve", "--db", "mysql://h/db", "--set", "serve.completer=extractive"]) == 2
    assert "unsupported database URL" in capsys.readouterr().err
    assert main(["serve", "--db", str(tmp_path / "s.db"), "--set", "serve.completer=extractive",
                 "--set", "serve.variant=nope"]) == 2
    err = capsys.readouterr().err
    assert "serve.variant" in err and "syn_ind" in err and "Traceback" not in err
    assert main(["serve", "--set", "serve.completer=magic"]) == 2
    assert "serve.completer must be one of" in capsys.readouterr().err
