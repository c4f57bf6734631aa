"""Encrypted backup and restore: one signed file, restorable on a fresh machine with an
administrator card or the recovery code — never a way to roll the station's numbers back.

``create`` writes it, ``check`` verifies it with no card, ``restore`` brings it back
atomically, ``numbers`` keeps the numbering above everything ever issued, and
``fileformat`` is the file's layout.
"""

from station.backup.check import Report, verify_backup
from station.backup.create import Created, create_backup, default_target
from station.backup.numbers import Reminder, backup_reminder, raise_counters_after_restore, reminder
from station.backup.restore import Restored, is_live, restore_backup

__all__ = ["Created", "Report", "Reminder", "Restored", "create_backup", "verify_backup", "restore_backup",
           "raise_counters_after_restore", "reminder", "backup_reminder", "is_live", "default_target"]
