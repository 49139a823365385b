"""Book commands: init, load, status, history, prices."""
