"""Real-world shapes of what must never become a reply: a vacation auto-reply (as Exchange and
Gmail write them) and a delivery-status notification (as Postfix writes one)."""

from __future__ import annotations


def vacation_reply(*, to: str, sender: str, in_reply_to: str) -> bytes:
    return (
        f"From: Dr Cécile Lemoine <{sender}>\r\n"
        f"To: {to}\r\n"
        "Subject: =?utf-8?q?R=C3=A9ponse_automatique=C2=A0=3A_Absente_jusqu=27au_12/12?=\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "X-Autoreply: yes\r\n"
        "Precedence: bulk\r\n"
        f"In-Reply-To: {in_reply_to}\r\n"
        "Message-ID: <vacation-1@cabinet-lemoine.example>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n"
        "\r\n"
        "Je suis absente jusqu'au 12/12. En cas d'urgence, appelez le 15.\r\n"
    ).encode()


def postfix_bounce(*, original_message_id: str, delivery_id: str, rcpt: str) -> bytes:
    boundary = "4C1F2B0A.1733480000/mail.relais.example"
    return (
        "From: MAILER-DAEMON@mail.relais.example (Mail Delivery System)\r\n"
        "To: messages@relais.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "Message-ID: <20261207094212.4C1F2B0A@mail.relais.example>\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n'
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Description: Notification\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n"
        "\r\n"
        "This is the mail system at host mail.relais.example.\r\n\r\n"
        "I'm sorry to have to inform you that your message could not\r\n"
        "be delivered to one or more recipients.\r\n\r\n"
        f"<{rcpt}>: host mx.cabinet.example[192.0.2.10] said: 550 5.1.1\r\n"
        "    User unknown (in reply to RCPT TO command)\r\n"
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Description: Delivery report\r\n"
        "Content-Type: message/delivery-status\r\n"
        "\r\n"
        "Reporting-MTA: dns; mail.relais.example\r\n"
        "Arrival-Date: Mon,  7 Dec 2026 10:42:11 +0100 (CET)\r\n"
        "\r\n"
        f"Final-Recipient: rfc822; {rcpt}\r\n"
        f"Original-Recipient: rfc822;{rcpt}\r\n"
        "Action: failed\r\n"
        "Status: 5.1.1\r\n"
        "Remote-MTA: dns; mx.cabinet.example\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n"
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Description: Undelivered Message Headers\r\n"
        "Content-Type: text/rfc822-headers\r\n"
        "\r\n"
        "From: Permanence Azur <messages@relais.example>\r\n"
        f"To: {rcpt}\r\n"
        "Subject: Rappel patient\r\n"
        f"Message-ID: {original_message_id}\r\n"
        f"X-Relais-Delivery: {delivery_id}\r\n"
        "\r\n"
        f"--{boundary}--\r\n"
    ).encode()
