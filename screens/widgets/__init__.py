"""What the screens share: the base screens and worker helper (base), the confirmation
dialog (confirm), and self-contained widgets (cards, impression)."""
