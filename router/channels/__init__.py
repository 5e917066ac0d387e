"""Channel families and their templates; ``logsink`` adds the local ``log://`` target."""
