"""A script that calls `modelyard.train` with worker processes at its top level, outside
`if __name__ == "__main__":`, gets an error at once instead of waiting forever; the same script
with the guard trains. Both run as real scripts in a new interpreter (spawned workers re-run the
main script, which is what the check is about)."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap

import pytest

from modelyard.search.main_guard import _guarded, check_main_guard

CALL = (
    "result = modelyard.train({data!r}, target='Churn', learners=['logistic'], max_trials=2, "
    "parallel=2, register=False, home={home!r}, "
    "spec={{'evaluation': {{'importance': False, 'latency': False, 'bootstrap': 20}}}})"
)


def run_script(tmp_path, body: str) -> subprocess.CompletedProcess:
    script = tmp_path / "train_churn.py"
    script.write_text(body)
    # a hang is what this guards against: the timeout turns one into a failure, not a stuck run
    return subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)


def test_an_unguarded_script_is_refused_before_any_worker_starts(tmp_path, data_dir):
    call = CALL.format(data=str(data_dir / "telco_churn.csv"), home=str(tmp_path / "home"))
    done = run_script(tmp_path, f"import modelyard\n\n{call}\nprint('trained')\n")
    assert done.returncode != 0
    assert "trained" not in done.stdout
    assert 'if __name__ == "__main__":' in done.stderr
    assert "train_churn.py, line 3" in done.stderr
    assert "parallel=1" in done.stderr


def test_a_guarded_script_trains_with_worker_processes(tmp_path, data_dir):
    call = CALL.format(data=str(data_dir / "telco_churn.csv"), home=str(tmp_path / "home"))
    body = textwrap.dedent(f"""\
        import modelyard


        def main():
            {call}
            print('trained', result.run_id)


        if __name__ == "__main__":
            main()
        """)
    done = run_script(tmp_path, body)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "trained" in done.stdout


@pytest.mark.parametrize(
    ("source", "guarded"),
    [
        ("train()\n", False),
        ("with open('x') as f:\n    train()\n", False),
        ("for _ in range(2):\n    train()\n", False),
        ("if __name__ == '__main__':\n    train()\n", True),
        ("if True:\n    train()\n", True),  # any if: the check never refuses a script that works
        ("def main():\n    train()\n", True),
    ],
)
def test_which_top_level_lines_count_as_guarded(source, guarded):
    line = max(i for i, text in enumerate(source.splitlines(), 1) if "train()" in text)
    assert _guarded(ast.parse(source), line) is guarded


def test_a_call_from_a_test_function_is_never_refused():
    check_main_guard()  # pytest's main module is guarded; a test is no top-level statement


def test_a_packages_main_run_with_python_m_is_not_refused(tmp_path, data_dir):
    """Spawned workers never run a package's __main__.py again, so it needs no guard."""
    call = CALL.format(data=str(data_dir / "telco_churn.csv"), home=str(tmp_path / "home"))
    package = tmp_path / "churnjob"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "__main__.py").write_text(f"import modelyard\n\n{call}\nprint('trained')\n")
    done = subprocess.run([sys.executable, "-m", "churnjob"], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "trained" in done.stdout
