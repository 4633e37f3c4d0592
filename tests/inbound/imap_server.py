"""A private dovecot IMAP server on 127.0.0.1 for the tests (Debian's dovecot-imapd), with
a throw-away maildir and one user. Started by the tests' set-up; .ci/run installs the package."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.delivery.servers import free_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER = "relais"
PASSWORD = "imap-secret"


def dovecot_available() -> bool:
    return os.path.exists(DOVECOT)


class ImapServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="relais-imap-"))

    def start(self) -> ImapServer:
        base, state, mail = self.dir / "run", self.dir / "state", self.dir / "mail"
        for folder in (base, state, mail):
            folder.mkdir(parents=True)
        (self.dir / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        conf = self.dir / "dovecot.conf"
        conf.write_text(
            f"""
protocols = imap
base_dir = {base}
state_dir = {state}
log_path = {self.dir}/dovecot.log
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{mail}/%u
default_internal_user = nobody
default_internal_group = nogroup
default_login_user = nobody
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {self.dir}/users
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={mail}/%u
}}
"""
        )
        shutil.chown(mail, "nobody", "nogroup")
        os.chmod(self.dir, 0o755)
        # The master daemonizes: it must not hold pipes of ours open.
        subprocess.run(
            [DOVECOT, "-c", str(conf)],
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.pidfile = base / "master.pid"
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"dovecot did not start: {(self.dir / 'dovecot.log').read_text()}")

    def stop(self) -> None:
        try:
            pid = int(self.pidfile.read_text().strip())
            os.kill(pid, signal.SIGTERM)
            for _ in range(50):
                os.kill(pid, 0)
                time.sleep(0.05)
        except (OSError, ValueError):
            pass
        shutil.rmtree(self.dir, ignore_errors=True)
