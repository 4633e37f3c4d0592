"""Every write on messages goes through here: pages and the API call the same functions.

    send.py        message_send and its steps (draft, rows, write)
    send_target.py its first step: who a send is about (client_for_send, send_target)
    replies.py     reply_post, reply_record
    tasks.py       task_mark_todo, task_mark_done, task_cancel
    read_state.py  message_mark_read, message_mark_unread
    aids.py        templates, input-help phrases, banners

The names below are the public ones: import them from here.
"""

from relais.messaging.services.common import BODY_MAX, SUBJECT_MAX, history_rows, parse_due_date
from relais.messaging.services.read_state import message_mark_read, message_mark_unread
from relais.messaging.services.replies import reply_post, reply_record
from relais.messaging.services.send import (
    IDEMPOTENCY_WINDOW,
    SendDraft,
    SendResult,
    SendRows,
    message_send,
    send_rows,
    send_validate,
)
from relais.messaging.services.send_target import (
    SendInput,
    SendTarget,
    client_for_send,
    send_target,
)
from relais.messaging.services.tasks import (
    TASK_ACTIONS,
    task_cancel,
    task_mark_done,
    task_mark_todo,
    task_may_change,
    task_set,
)
from relais.messaging.visibility import cc_eligibility_filter, cc_eligibility_rule

__all__ = [
    "BODY_MAX",
    "IDEMPOTENCY_WINDOW",
    "SUBJECT_MAX",
    "TASK_ACTIONS",
    "SendDraft",
    "SendInput",
    "SendResult",
    "SendRows",
    "SendTarget",
    "cc_eligibility_filter",
    "cc_eligibility_rule",
    "client_for_send",
    "history_rows",
    "message_mark_read",
    "message_mark_unread",
    "message_send",
    "parse_due_date",
    "reply_post",
    "reply_record",
    "send_rows",
    "send_target",
    "send_validate",
    "task_cancel",
    "task_mark_done",
    "task_mark_todo",
    "task_may_change",
    "task_set",
]
