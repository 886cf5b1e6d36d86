from fastlin.cli import main

raise SystemExit(main())
