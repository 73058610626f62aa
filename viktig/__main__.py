import sys

from viktig.cli import main

sys.exit(main())
