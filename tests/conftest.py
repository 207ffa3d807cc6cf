import os
import sys

# Kernels, nbgrader and alembic come from the environment that runs the tests, whatever the
# user's own Jupyter setup says.
os.environ["JUPYTER_PREFER_ENV_PATH"] = "1"
os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
sys.path.insert(0, os.path.dirname(__file__))
