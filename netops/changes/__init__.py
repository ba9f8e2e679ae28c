"""Configuration changes: render (templates), diff (running vs intended), push (confirmed commit,
post-checks, revert), plan and apply waves (failure budget, halt + rollback), conference freeze,
backups and drift, change records. Platform transactions live in ``netops.drivers.platforms``."""
