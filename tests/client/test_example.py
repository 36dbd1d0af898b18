"""examples/client_workflow.py (the official example's workflow with the client) runs to the
end against a live server."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_client_workflow_example(server):
    env = {**os.environ, "AUTOML_BASE_URL": server.base, "AUTOML_API_KEY": "example-key",
           "PYTHONPATH": str(ROOT / "client")}
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "client_workflow.py")],
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    accuracy = float(result.stdout.split("accuracy:")[1].split()[0])
    assert accuracy > 0.7
