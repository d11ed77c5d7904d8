"""Jobs: join sources, store and analysis and run them (import, sync, analyze, report, demo)."""
