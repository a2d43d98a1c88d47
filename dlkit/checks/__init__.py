"""Public checks of each chapter's exercises, one module per chapter (``ch01`` ...)."""
