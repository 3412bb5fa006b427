from reward_server.cli import main

raise SystemExit(main())
