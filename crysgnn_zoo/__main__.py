import sys

from crysgnn_zoo.cli import main

sys.exit(main())
