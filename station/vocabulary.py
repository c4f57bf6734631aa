"""The station's domain words, each once, with its Chinese and English name.

A seal kind, a state or a seal function is stored, typed on the command line and put
into receipts by its ``value`` (the CLI contract, CLI.md); people read its ``zh`` or
``en`` name. The screen, the PDF receipt and the CLI take both from here, so they cannot
drift apart (they once did: one said 专用章 where another said 其他专用章). Screen
translations are keyed by the value (``apps.state.approved``), never by a copy of it.
"""

from __future__ import annotations

import enum
from typing import Any

__all__ = ["Named", "SealKind", "SealType", "SealFunction", "SealState", "ApplicationState",
           "ImpressionState", "values"]


class Named(enum.StrEnum):
    """A word with its zh and en names: ``Kind("official", "单位公章", "Official seal")``.

    A ``StrEnum``, so a member is its value wherever text is expected: in SQL, in JSON,
    in an f-string and compared with a plain string.
    """

    zh: str
    en: str

    def __new__(cls, value: str, zh: str = "", en: str = "") -> Named:
        member = str.__new__(cls, value)
        member._value_ = value
        member.zh, member.en = zh, en
        return member

    def name_in(self, lang: str) -> str:
        """The name in ``lang`` ("zh", "zh_CN", "en"...); Chinese for any zh variant."""
        return self.zh if lang.lower().startswith("zh") else self.en


class SealType(enum.IntEnum):
    """GB/T 38540 ``SES_ESPropertyInfo.type``: what the seal itself records."""

    UNIT = 1
    PERSONAL = 2


class SealKind(Named):
    """What an application asks for; the unit kinds become type 1, the personal ones 2."""

    OFFICIAL = "official", "单位公章", "Official seal"
    DEPARTMENT = "department", "部门章", "Department seal"
    CONTRACT = "contract", "合同专用章", "Contract seal"
    FINANCE = "finance", "财务专用章", "Finance seal"
    SPECIAL = "special", "其他专用章", "Special-purpose seal"
    PERSONAL_NAME = "personal-name", "个人名章", "Personal name seal"
    PERSONAL_SIGNATURE = "personal-signature", "个人签名", "Personal signature"

    @property
    def personal(self) -> bool:
        return self in (SealKind.PERSONAL_NAME, SealKind.PERSONAL_SIGNATURE)

    @property
    def seal_type(self) -> SealType:
        return SealType.PERSONAL if self.personal else SealType.UNIT


class SealFunction(Named):
    """What a seal is authorized for, written into the seal's extDatas (DESIGN.md §4)."""

    OFFICE = "office", "办公文档", "Office documents"
    WEB = "web", "网页表单", "Web forms"
    LOGIN = "login", "登录", "Login"


class SealState(Named):
    """A made seal's life: active until frozen (reversible), reported lost or revoked."""

    ACTIVE = "active", "有效", "active"
    FROZEN = "frozen", "冻结", "frozen"
    LOST = "lost", "挂失", "reported lost"
    REVOKED = "revoked", "已注销", "revoked"


class ApplicationState(Named):
    """submitted -> approved | rejected (with a reason; 已退回); approved -> made."""

    SUBMITTED = "submitted", "待审批", "submitted"
    APPROVED = "approved", "已通过", "approved"
    REJECTED = "rejected", "已退回", "rejected"
    MADE = "made", "已制作", "made"


class ImpressionState(Named):
    """Only an active impression can be made into a seal; destroyed is for ever."""

    ACTIVE = "active", "启用", "active"
    DISABLED = "disabled", "停用", "disabled"
    DESTROYED = "destroyed", "已销毁", "destroyed"


def values(words: Any) -> list[str]:
    """The values of an enum of words, in order: argparse ``choices``, hints."""
    return [w.value for w in words]
