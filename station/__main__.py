"""``python -m station`` is the ``seal-station`` command."""

import sys

from station.cli import main

sys.exit(main())
