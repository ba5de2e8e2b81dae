"""reviewcoder: theme-coding of child safeguarding review texts."""
__version__ = "0.1.0"
