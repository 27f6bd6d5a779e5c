"""One router per journey; each renders ``ui/templates/<journey>/``."""
