"""House rules: the runtime never imports torch; public names are exported."""

from __future__ import annotations

import subprocess
import sys


def test_runtime_and_service_import_without_torch() -> None:
    code = (
        "import sys, liveness, liveness.pipeline, liveness.cli, liveness.evaluation, serve.main\n"
        "bad = [m for m in sys.modules if m == 'torch' or m.startswith('torch.') or m.startswith('training')]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
